import type { Clock } from "../ports/clock";
import type { Compute } from "../ports/compute";
import type { DemandStore } from "../ports/demand-store";
import type { RunnerRegistry } from "../ports/gitlab";
import type { RunnerStore } from "../ports/runner-store";
import type { TokenDrop } from "../ports/token-drop";
import { retireRunner } from "./retire-runner";

export interface InstanceEventDependencies {
  readonly runners: RunnerStore;
  readonly demand: DemandStore;
  readonly registry: RunnerRegistry;
  readonly tokens: TokenDrop;
  readonly compute: Compute;
  readonly clock: Clock;
}

/** EC2's own events (EventBridge), in this project's terms. */
export type InstanceEvent =
  | { readonly kind: "state_change"; readonly instanceId: string; readonly state: string }
  | { readonly kind: "spot_interruption"; readonly instanceId: string };

export type InstanceEventOutcome = "retired" | "job_marked_interrupted" | "ignored";

const ENDING_STATES = new Set(["shutting-down", "terminated"]);

/**
 * An instance that is going away retires its runner at once (GitLab runner, token, slot), without
 * waiting for the reaper. A spot interruption warning retires a runner that has no job yet, and
 * marks the job of a busy one, so that it is retried when it fails.
 */
export const handleInstanceEvent = async (
  deps: InstanceEventDependencies,
  event: InstanceEvent,
): Promise<InstanceEventOutcome> => {
  const runner = (await deps.runners.listLive()).find(
    (candidate) => candidate.instanceId === event.instanceId,
  );
  if (!runner) return "ignored";
  if (event.kind === "state_change") {
    if (!ENDING_STATES.has(event.state)) return "ignored";
    // Already on its way out: no TerminateInstances call.
    return (await retireRunner(deps, runner, { terminate: false })) ? "retired" : "ignored";
  }
  if (runner.state === "busy" && runner.jobId !== undefined) {
    await deps.demand.annotateJob(runner.jobId, { interrupted: true });
    return "job_marked_interrupted";
  }
  return (await retireRunner(deps, runner)) ? "retired" : "ignored";
};
