/** Every job status a GitLab Job Hook can carry (GitLab 13 to 18). */
export const JOB_STATUSES = [
  "created",
  "waiting_for_resource",
  "manual",
  "scheduled",
  "preparing",
  "pending",
  "running",
  "waiting_for_callback",
  "canceling",
  "success",
  "failed",
  "canceled",
  "skipped",
] as const;

export type GitlabJobStatus = (typeof JOB_STATUSES)[number];

/**
 * A job's status as we record it: GitLab's, or `not_visible` when GitLab answered 404 for the job
 * (the token cannot see its project, or the job was erased). That one is ours: no hook sets it.
 */
export type JobStatus = GitlabJobStatus | "not_visible";

/**
 * Position of a status in a job's life. A job only moves forward (a retry is a new job id),
 * so an event whose rank is not above the stored one is a duplicate or arrived late.
 * Gaps leave room for statuses GitLab may add.
 */
const STATUS_RANK: Readonly<Record<JobStatus, number>> = {
  created: 10,
  waiting_for_resource: 20,
  manual: 20,
  scheduled: 20,
  preparing: 30,
  pending: 40,
  running: 50,
  waiting_for_callback: 55,
  canceling: 60,
  success: 70,
  failed: 70,
  canceled: 70,
  skipped: 70,
  // We will never learn more about the job: it is over for us, like a finished one.
  not_visible: 70,
};

export const statusRank = (status: JobStatus): number => STATUS_RANK[status];

export const isFinished = (status: JobStatus): boolean =>
  STATUS_RANK[status] === STATUS_RANK.success;

/** A status GitLab itself uses; `not_visible` is not one, so no hook or API answer can claim it. */
export const isGitlabJobStatus = (status: string): status is GitlabJobStatus =>
  (JOB_STATUSES as readonly string[]).includes(status);
