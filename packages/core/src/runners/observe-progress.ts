import type { JobStatus } from "../jobs/job-status";
import type { Clock } from "../ports/clock";
import type { DemandStore } from "../ports/demand-store";
import type { JobsApi } from "../ports/gitlab";
import type { RunnerStore } from "../ports/runner-store";
import { retryInterruptedJob } from "./interrupted-retry";
import { isJobOfRunner } from "./registration";

export interface JobProgress {
  readonly jobId: number;
  readonly projectId: number;
  readonly status: JobStatus;
  /** GitLab's id of the runner the job ran on, from the Job Hook. */
  readonly runnerId: number;
  /** The job's spot instance was being reclaimed while it ran. */
  readonly interrupted?: boolean;
  /** From the job's creation to a runner taking it, when the hook says. */
  readonly waitSeconds?: number;
  /** When a runner took it (ISO 8601), when the hook says. */
  readonly startedAt?: string;
  /** How long it was pending (GitLab's queued duration), when the hook says. */
  readonly queuedSeconds?: number;
}

export interface ProgressOutcome {
  readonly runnersMoved: number;
  /** New job ids GitLab created for jobs a spot interruption killed. */
  readonly retried: readonly number[];
  /** How long each job one of our runners took had waited, by the runner's pool. */
  readonly waits: readonly { readonly pool: string; readonly seconds: number }[];
  /**
   * For each runner lookahead started that took a job: seconds from when it was up to when the
   * job became pending; negative when it came up late (see leadSecondsOf).
   */
  readonly leads: readonly { readonly pool: string; readonly seconds: number }[];
}

/**
 * How early a runner was up for the job it took. Up is when it was seen idle, or at the latest
 * when it took the job; the job was pending from its start less its queued duration.
 */
const leadSecondsOf = (
  runner: { readonly state: string; readonly updatedAt: string },
  job: { readonly startedAt: string; readonly queuedSeconds: number },
): number => {
  const started = Date.parse(job.startedAt);
  const up = runner.state === "idle" ? Math.min(Date.parse(runner.updatedAt), started) : started;
  return Math.round((started - job.queuedSeconds * 1000 - up) / 100) / 10;
};

/**
 * Records what GitLab's API says of a job a spot interruption killed (or is about to), marked
 * interrupted: as a hook would have recorded it, when it moves the job forward, else as an
 * annotation of the job already recorded. Either write of a `failed` job with its runner reaches
 * the scaler through the table's stream, and observeJobProgress then retries it, once; a job
 * still running is retried when its `failed` hook arrives.
 */
export const recordInterruptedJob = async (
  deps: { readonly demand: DemandStore; readonly clock: Clock },
  job: Pick<JobProgress, "jobId" | "projectId" | "status" | "runnerId">,
): Promise<void> => {
  const interrupted = { interrupted: true };
  const { jobId, projectId, status, runnerId } = job;
  const outcome = await deps.demand.recordJobEvent(
    { jobId, projectId, status, runnerId },
    deps.clock.now(),
    interrupted,
  );
  if (outcome.kind === "unchanged") await deps.demand.annotateJob(jobId, interrupted);
};

/**
 * Job Hooks say which runner took a job: ours move to busy (it will take no other job) and, once
 * the job is over, to finished (the instance is powering off), so the scaler stops counting them
 * as available. A job that failed after its spot instance was reclaimed is retried, once.
 * Hooks for other runners, or for another job than the runner is known to run, are ignored; moves
 * are conditional, so replays are no-ops. No hook alone gets a runner killed: the reaper asks
 * GitLab before it retires a finished one.
 */
export const observeJobProgress = async (
  deps: {
    readonly runners: RunnerStore;
    readonly demand: DemandStore;
    readonly jobsApi: JobsApi;
    readonly clock: Clock;
  },
  progress: readonly JobProgress[],
): Promise<ProgressOutcome> => {
  if (progress.length === 0) return { runnersMoved: 0, retried: [], waits: [], leads: [] };
  const byGitlabId = new Map(
    (await deps.runners.listLive()).map((runner) => [runner.gitlabRunnerId, runner]),
  );
  let runnersMoved = 0;
  const retried: number[] = [];
  const waits: { pool: string; seconds: number }[] = [];
  const leads: { pool: string; seconds: number }[] = [];
  for (const {
    jobId,
    projectId,
    status,
    runnerId,
    interrupted,
    waitSeconds,
    startedAt,
    queuedSeconds,
  } of progress) {
    if (interrupted && status === "failed") {
      const outcome = await retryInterruptedJob(deps, { jobId, projectId });
      if (outcome.kind === "retried") retried.push(outcome.retryId);
    }
    const runner = byGitlabId.get(runnerId);
    if (!runner) continue;
    // A hook about another job than the one we know the runner runs is not believed: it would
    // let anyone with a hook secret end another project's running job.
    if (runner.jobId !== undefined && runner.jobId !== jobId) continue;
    // A late hook of the job an earlier instance of the same registration ran is not this one's.
    if (!isJobOfRunner(runner, { id: jobId, ...(startedAt !== undefined && { startedAt }) }))
      continue;
    const change =
      status === "running"
        ? await deps.runners.transition(
            runner.name,
            ["booting", "idle"],
            { state: "busy", jobId },
            deps.clock.now(),
          )
        : await deps.runners.transition(
            runner.name,
            ["booting", "idle", "busy"],
            { state: "finished", jobId },
            deps.clock.now(),
          );
    if (!change) continue;
    runnersMoved += 1;
    if (change.state !== "busy") continue;
    if (waitSeconds !== undefined) waits.push({ pool: runner.pool, seconds: waitSeconds });
    if (runner.startedAhead && startedAt !== undefined && queuedSeconds !== undefined)
      leads.push({
        pool: runner.pool,
        seconds: leadSecondsOf(runner, { startedAt, queuedSeconds }),
      });
  }
  return { runnersMoved, retried, waits, leads };
};
