import type { Clock } from "../ports/clock";
import type { Compute } from "../ports/compute";
import type { RunnerRegistry } from "../ports/gitlab";
import type { RunnerStore } from "../ports/runner-store";
import type { TokenDrop } from "../ports/token-drop";
import type { RunnerRecord } from "./runner-record";

export interface RetirementDependencies {
  readonly compute: Compute;
  readonly registry: RunnerRegistry;
  readonly tokens: TokenDrop;
  readonly runners: RunnerStore;
  readonly clock: Clock;
}

/**
 * Claims the runner (→ retiring: concurrent retirements of one runner do the work once), terminates
 * its instance, deletes its GitLab runner and token, then releases the slot. Release comes last,
 * so a retirement that fails part-way stays `retiring` and the reaper finishes it: only the reaper
 * (one pass at a time, `resumeStalled`) may claim a runner already retiring, or two would redo it.
 */
export const retireRunner = async (
  deps: RetirementDependencies,
  runner: RunnerRecord,
  {
    instanceIds = [],
    terminate = true,
    resumeStalled = false,
  }: { instanceIds?: readonly string[]; terminate?: boolean; resumeStalled?: boolean } = {},
): Promise<boolean> => {
  if (runner.state === "retiring" && !resumeStalled) return false;
  const claimed = await deps.runners.transition(
    runner.name,
    [runner.state],
    { state: "retiring" },
    deps.clock.now(),
  );
  if (!claimed) return false;
  const instances = [
    ...new Set([...instanceIds, ...(runner.instanceId ? [runner.instanceId] : [])]),
  ];
  if (terminate && instances.length > 0) await deps.compute.terminate(instances);
  if (runner.gitlabRunnerId !== undefined) await deps.registry.deleteRunner(runner.gitlabRunnerId);
  // Under its instance too, wherever the token was granted (a crash may have left it unrecorded).
  if (instances.length === 0) await deps.tokens.remove(runner.name);
  for (const instanceId of instances) await deps.tokens.remove(runner.name, instanceId);
  return deps.runners.release(runner.name, ["retiring"], deps.clock.now());
};
