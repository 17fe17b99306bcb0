import type { JobStatus } from "../jobs/job-status";
import type { AutoscalerConfig } from "../pools/autoscaler-config";
import type { Clock } from "../ports/clock";
import type { Compute } from "../ports/compute";
import type { DemandStore } from "../ports/demand-store";
import { RUNNER_JOBS_PAGE, type RunnerRegistry } from "../ports/gitlab";
import type { RunnerStore } from "../ports/runner-store";
import type { TokenDrop } from "../ports/token-drop";
import { recordInterruptedJob } from "./observe-progress";
import { isJobOfRunner, poolKeeps } from "./registration";
import {
  nextTokenNameOf,
  type RunnerRecord,
  registrationNameOf,
  tokenNameOf,
} from "./runner-record";

export interface RetirementDependencies {
  /** Which pools keep their GitLab runners between jobs (`runner.registrations`). */
  readonly config: Pick<AutoscalerConfig, "pools">;
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
const markInterruptedJobs = async (
  deps: RetirementDependencies,
  runner: RunnerRecord,
  gitlabRunnerId: number,
) => {
  for (const job of await deps.registry.listRunnerJobs(gitlabRunnerId)) {
    if (!KILLED.has(job.status) || !isJobOfRunner(runner, job)) continue;
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
 * its instance, marks a spot-warned runner's jobs interrupted, removes its token, deletes its
 * GitLab runner or, where the pool keeps registrations, resets its token and keeps it, then
 * releases the slot. Release comes last, so a retirement that fails part-way stays `retiring`
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
  if (claimed.gitlabRunnerId !== undefined && claimed.spotWarnedAt !== undefined)
    await markInterruptedJobs(deps, claimed, claimed.gitlabRunnerId);
  await removeTokens(deps, claimed, instances);
  if (claimed.gitlabRunnerId !== undefined) {
    const pool = deps.config.pools.find((candidate) => candidate.name === claimed.pool);
    if (poolKeeps(pool, claimed.fingerprint)) {
      const retained = await retainWithNewToken(deps, claimed, claimed.gitlabRunnerId);
      if (retained !== undefined) return retained;
    }
    await deps.registry.deleteRunner(claimed.gitlabRunnerId);
  }
  // A retirement that died after storing the next runner's token, resumed under a pool that no
  // longer keeps it, leaves none behind.
  if (resumeStalled) await deps.tokens.remove(nextTokenNameOf(claimed));
  return deps.runners.release(claimed.name, ["retiring"], deps.clock.now());
};

/** Under its instance too, wherever the token was granted (a crash may have left it unrecorded). */
const removeTokens = async (
  deps: RetirementDependencies,
  runner: RunnerRecord,
  instances: readonly string[],
) => {
  const name = tokenNameOf(runner);
  if (instances.length === 0) await deps.tokens.remove(name);
  for (const instanceId of instances) await deps.tokens.remove(name, instanceId);
};

/**
 * Resets the token of the runner's GitLab runner (its instance is gone: the token it had is
 * refused from now on), stores the new one under a name of this runner's (nextTokenNameOf), and
 * keeps the registration for the next runner. Undefined when GitLab no longer has it: it is then deleted
 * and released as any other. A crash after the reset leaves the record `retiring`: the
 * retirement, resumed, resets again, so a token nobody stored is refused too.
 */
const retainWithNewToken = async (
  deps: RetirementDependencies,
  runner: RunnerRecord,
  gitlabRunnerId: number,
): Promise<boolean | undefined> => {
  const token = await deps.registry.resetRunnerToken(gitlabRunnerId);
  if (token === undefined) return undefined;
  const tokenName = nextTokenNameOf(runner);
  await deps.tokens.put(tokenName, token);
  const pastJobIds = [
    ...(runner.jobId === undefined ? [] : [runner.jobId]),
    ...(runner.pastJobIds ?? []).filter((id) => id !== runner.jobId),
  ].slice(0, RUNNER_JOBS_PAGE);
  return deps.runners.retainRegistration(
    runner.name,
    ["retiring"],
    {
      name: registrationNameOf(runner),
      tokenName,
      pool: runner.pool,
      gitlabRunnerId,
      fingerprint: runner.fingerprint as string,
      pastJobIds,
    },
    deps.clock.now(),
  );
};
