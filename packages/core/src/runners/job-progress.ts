import type { JobEvent } from "../jobs/job-event";
import type { JobAnnotations } from "../jobs/job-record";
import type { JobProgress } from "./observe-progress";

/** Statuses of a job a runner took: that runner is no longer available. */
const PROGRESS_STATUSES: ReadonlySet<string> = new Set([
  "running",
  "success",
  "failed",
  "canceled",
]);

/** Created → running (the wait a user sees); GitLab's queued duration when a timestamp is missing. */
const waitOf = (job: JobEvent): { waitSeconds?: number } => {
  const created = Date.parse(String(job.createdAt));
  const started = Date.parse(String(job.startedAt));
  if (Number.isFinite(created) && Number.isFinite(started))
    return { waitSeconds: Math.max(0, (started - created) / 1000) };
  return typeof job.queuedDurationSeconds === "number"
    ? { waitSeconds: job.queuedDurationSeconds }
    : {};
};

/**
 * The runner progress a stored job says (a runner took or finished it), or undefined: what the
 * scaler reads from the table's stream in Lambda, and from the in-memory store's in the simulator.
 */
export const progressOfJob = (
  job: JobEvent & Pick<JobAnnotations, "interrupted">,
): JobProgress | undefined => {
  if (!PROGRESS_STATUSES.has(job.status) || job.runnerId === undefined) return undefined;
  return {
    jobId: Number(job.jobId),
    projectId: Number(job.projectId),
    status: job.status,
    runnerId: Number(job.runnerId),
    interrupted: job.interrupted === true,
    ...waitOf(job),
    ...(typeof job.queuedDurationSeconds === "number" && {
      queuedSeconds: job.queuedDurationSeconds,
    }),
    ...(Number.isFinite(Date.parse(String(job.startedAt))) && {
      startedAt: String(job.startedAt),
    }),
  };
};

/** A stored job wakes the scaler when it is demand (pending) or runner progress. */
export const jobWakesScaler = (job: JobEvent): boolean =>
  job.status === "pending" || progressOfJob(job) !== undefined;
