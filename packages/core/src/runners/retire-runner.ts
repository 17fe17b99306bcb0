import type { JobStatus } from "../jobs/job-status";
import type { Clock } from "../ports/clock";
import type { Compute } from "../ports/compute";
import type { DemandStore } from "../ports/demand-store";
import type { RunnerRegistry } from "../ports/gitlab";
import type { RunnerStore } from "../ports/runner-store";
import type { TokenDrop } from "../ports/token-drop";
import { recordInterruptedJob } from "./observe-progress";
import type { RunnerRecord } from "./runner-record";

export interface RetirementDependencies {
  readonly compute: Compute;
  readonly registry: RunnerRegistry;
  readonly tokens: TokenDrop;
  readonly runners: RunnerStore;
  /** Where the jobs of a spot-warned runner are marked interrupted. */
  readonly demand: DemandStore;
  readonly clock: Clock;
}

/** Statuses of a job its spot instance's end may have killed (only a failed one is retried). */
const KILLED: ReadonlySet<string> = new Set(["running", "failed", "canceled"]);

/**
 * The jobs GitLab lists for a spot-warned runner, marked interrupted: also the job it took before
 * its `running` hook was processed (GET /runners/:id's busy flag may lag a minute behind; this
 * listing does not), and the failure whose hook was lost. Asked after the instance was terminated
 * and before the GitLab runner is deleted: the runner can take no job unseen, and its jobs are
 * still listed under it.
 */
const markInterruptedJobs = async (deps: RetirementDependencies, gitlabRunnerId: number) => {
  for (const job of await deps.registry.listRunnerJobs(gitlabRunnerId)) {
    if (!KILLED.has(job.status)) continue;
    await recordInterruptedJob(deps, {
      jobId: job.id,
      projectId: job.projectId,
      status: job.status as JobStatus,
      runnerId: gitlabRunnerId,
    });
  }
};

/**
 * Claims the runner (→ retiring: concurrent retirements of one runner do the work once), terminates
 * its instance, marks a spot-warned runner's jobs interrupted, deletes its GitLab runner and token,
 * then releases the slot. Release comes last, so a retirement that fails part-way stays `retiring`
 * and is finished by calling this again with `resumeStalled`: by the reaper, and by EC2's events
 * for the runner's own instance (EventBridge redelivers a failed one). Every step may be done
 * twice (terminating, deleting a GitLab runner gone, removing a token removed, marking a job
 * marked), and release is conditional, so two finishing one retirement at once do no harm.
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
    ...new Set([...instanceIds, ...(claimed.instanceId ? [claimed.instanceId] : [])]),
  ];
  if (terminate && instances.length > 0) await deps.compute.terminate(instances);
  if (claimed.gitlabRunnerId !== undefined) {
    if (claimed.spotWarnedAt !== undefined) await markInterruptedJobs(deps, claimed.gitlabRunnerId);
    await deps.registry.deleteRunner(claimed.gitlabRunnerId);
  }
  // Under its instance too, wherever the token was granted (a crash may have left it unrecorded).
  if (instances.length === 0) await deps.tokens.remove(claimed.name);
  for (const instanceId of instances) await deps.tokens.remove(claimed.name, instanceId);
  return deps.runners.release(claimed.name, ["retiring"], deps.clock.now());
};
