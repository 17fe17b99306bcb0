import type { AutoscalerConfig } from "../pools/autoscaler-config";
import type { Clock } from "../ports/clock";
import type { Compute } from "../ports/compute";
import type { DemandStore } from "../ports/demand-store";
import type { RunnerRegistry } from "../ports/gitlab";
import type { RunnerChanges, RunnerStore } from "../ports/runner-store";
import type { TokenDrop } from "../ports/token-drop";
import { RETIREMENT_IN_FLIGHT_SECONDS } from "../reaper/reaper-decisions";
import { awaitsInstance, ownerOfUnrecordedInstance } from "./instance-owner";
import { retireRunner } from "./retire-runner";
import type { RunnerRecord } from "./runner-record";

export interface InstanceEventDependencies {
  readonly config: Pick<AutoscalerConfig, "pools">;
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

/** `warning_noted`: EC2's facts leave the instance to more than one runner; each has the warning. */
export type InstanceEventOutcome =
  | "retired"
  | "job_marked_interrupted"
  | "warning_noted"
  | "ignored";

const ENDING_STATES = new Set(["shutting-down", "terminated"]);
/** Conditional moves tried before giving up on writing what an event taught. */
const LEARN_ATTEMPTS = 5;

type Found =
  | { readonly kind: "runner"; readonly runner: RunnerRecord; readonly learnt: RunnerChanges }
  | { readonly kind: "candidates"; readonly runners: readonly RunnerRecord[] };

/**
 * The live record of the event's instance: the one that names it or, for a launch that crashed
 * before its records learnt their instances, the one EC2's facts give it to (see
 * instance-owner.ts); EC2 is asked only when some record still waits for its instance. When the
 * facts fit more than one record (some of the launch's instances are gone from EC2's listing),
 * those records.
 */
const runnerOf = async (
  deps: InstanceEventDependencies,
  instanceId: string,
): Promise<Found | undefined> => {
  const live = await deps.runners.listLive();
  const named = live.find((candidate) => candidate.instanceId === instanceId);
  if (named) return { kind: "runner", runner: named, learnt: {} };
  if (!live.some(awaitsInstance)) return undefined;
  const instances = await deps.compute.listInstances();
  let owner = ownerOfUnrecordedInstance(instanceId, live, instances);
  if (owner.kind === "ambiguous") {
    // A launch is named after its first runner, whose record, gone, may still name its instance.
    const first = await deps.runners.get(owner.instance.launchId);
    if (first?.state === "gone" && first.instanceId !== undefined)
      owner = ownerOfUnrecordedInstance(instanceId, [...live, first], instances);
  }
  if (owner.kind === "none") return undefined;
  if (owner.kind === "ambiguous") return { kind: "candidates", runners: owner.candidates };
  const { instance } = owner;
  return {
    kind: "runner",
    runner: owner.runner,
    learnt: { instanceId: instance.instanceId, market: instance.market },
  };
};

/**
 * Writes what the event taught of the runner (its instance, the spot warning), each fact only
 * where the record lacks it, in a conditional move to the state it is in; the record as it then
 * stands, or undefined once it is gone.
 */
const learn = async (
  deps: InstanceEventDependencies,
  runner: RunnerRecord,
  facts: RunnerChanges,
): Promise<RunnerRecord | undefined> => {
  let current: RunnerRecord | undefined = runner;
  for (let attempt = 0; current && current.state !== "gone"; attempt++) {
    const record: RunnerRecord = current;
    const changes = Object.fromEntries(
      Object.entries(facts).filter(([key]) => record[key as keyof RunnerRecord] === undefined),
    ) as RunnerChanges;
    if (Object.keys(changes).length === 0 || attempt >= LEARN_ATTEMPTS) return record;
    const moved = await deps.runners.transition(
      record.name,
      [record.state],
      changes,
      deps.clock.now(),
    );
    if (moved) return moved;
    current = await deps.runners.get(record.name);
  }
  return undefined;
};

/** A retirement claimed longer ago than any retirement takes to finish its calls died part-way. */
const retirementStalled = (runner: RunnerRecord, now: Date): boolean =>
  now.getTime() - Date.parse(runner.updatedAt) > RETIREMENT_IN_FLIGHT_SECONDS * 1000;

/**
 * An instance that is going away retires its runner at once (GitLab runner, token, slot), without
 * waiting for the reaper; a retirement that failed part-way (`retiring`) is finished by its
 * instance's events, which EventBridge delivers again when one fails. A spot interruption warning
 * is noted on the runner (`spotWarnedAt`, whatever its state), marks the job of a busy one (it may
 * still finish in its two minutes), and retires any other at once: the retirement terminates the
 * instance, then asks GitLab for the runner's jobs and marks them interrupted, so that a job it
 * took before its `running` hook was processed is retried too.
 */
export const handleInstanceEvent = async (
  deps: InstanceEventDependencies,
  event: InstanceEvent,
): Promise<InstanceEventOutcome> => {
  if (event.kind === "state_change" && !ENDING_STATES.has(event.state)) return "ignored";
  const found = await runnerOf(deps, event.instanceId);
  if (!found) return "ignored";
  const warning =
    event.kind === "spot_interruption" ? { spotWarnedAt: deps.clock.now().toISOString() } : {};
  if (found.kind === "candidates") {
    // None is retired on a guess. The owner learns its instance when the scaler resumes the
    // launch, and its retirement (at the latest when EC2 reclaims the instance) then finds the
    // warning and marks its job; another candidate's mark costs at most the retry of a job that
    // failed by itself.
    if (event.kind === "state_change") return "ignored";
    for (const candidate of found.runners) await learn(deps, candidate, warning);
    return "warning_noted";
  }
  const runner = await learn(deps, found.runner, { ...found.learnt, ...warning });
  if (!runner) return "ignored";
  // Its own instance's event: a retirement left `retiring` is finished (every step is
  // idempotent), once it is no longer in flight: the reaper's TerminateInstances is followed by
  // this very event, and two retirements at once would delete twice, or reset a kept
  // registration's token under each other.
  if (runner.state === "retiring" && !retirementStalled(runner, deps.clock.now())) return "ignored";
  const retirement = {
    instanceIds: [event.instanceId],
    resumeStalled: runner.state === "retiring",
  };
  if (event.kind === "state_change")
    // Already on its way out: no TerminateInstances call.
    return (await retireRunner(deps, runner, { ...retirement, terminate: false }))
      ? "retired"
      : "ignored";
  if (runner.state === "busy" && runner.jobId !== undefined) {
    await deps.demand.annotateJob(runner.jobId, { interrupted: true });
    return "job_marked_interrupted";
  }
  return (await retireRunner(deps, runner, retirement)) ? "retired" : "ignored";
};
