import type { JobStatus } from "../jobs/job-status";
import type { Clock } from "../ports/clock";
import type { RunnerStore } from "../ports/runner-store";

export interface JobProgress {
  readonly jobId: number;
  readonly status: JobStatus;
  /** GitLab's id of the runner the job ran on, from the Job Hook. */
  readonly runnerId: number;
}

/**
 * Job Hooks say which runner took a job: ours move to busy (it will take no other job) and, once
 * the job is over, to finished (the instance is powering off), so the scaler stops counting them
 * as available. Hooks for other runners are ignored. Moves are conditional, so replays are no-ops.
 */
export const observeJobProgress = async (
  deps: { readonly runners: RunnerStore; readonly clock: Clock },
  progress: readonly JobProgress[],
): Promise<number> => {
  if (progress.length === 0) return 0;
  const byGitlabId = new Map(
    (await deps.runners.listLive()).map((runner) => [runner.gitlabRunnerId, runner]),
  );
  let moved = 0;
  for (const { jobId, status, runnerId } of progress) {
    const runner = byGitlabId.get(runnerId);
    if (!runner) continue;
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
    if (change) moved += 1;
  }
  return moved;
};
