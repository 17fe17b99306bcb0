import type { JobStatus } from "./job-status";

/** What one Job Hook says about one job, in this project's vocabulary. */
export interface JobEvent {
  readonly jobId: number;
  readonly projectId: number;
  readonly status: JobStatus;
  readonly name?: string;
  readonly stage?: string;
  readonly ref?: string;
  readonly pipelineId?: number;
  readonly projectPath?: string;
  readonly createdAt?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly queuedDurationSeconds?: number;
  readonly durationSeconds?: number;
  readonly retriesCount?: number;
  readonly runnerId?: number;
  readonly allowFailure?: boolean;
  readonly failureReason?: string;
}

/**
 * The runner GitLab's API says took a job, and when, as a job event carries them: a job the
 * control plane closes from the API then tells the scaler which runner is busy, as the hook would
 * have (the start tells a kept registration's runner from the one before it).
 */
export const runnerOf = (job: {
  readonly runnerId?: number;
  readonly startedAt?: string;
}): Pick<JobEvent, "runnerId" | "startedAt"> => ({
  ...(job.runnerId !== undefined && { runnerId: job.runnerId }),
  ...(job.startedAt !== undefined && { startedAt: job.startedAt }),
});

/** The fields a Job Hook may lack; a forward event removes the ones it lacks (see applyJobEvent). */
export const OPTIONAL_JOB_EVENT_FIELDS = [
  "name",
  "stage",
  "ref",
  "pipelineId",
  "projectPath",
  "createdAt",
  "startedAt",
  "finishedAt",
  "queuedDurationSeconds",
  "durationSeconds",
  "retriesCount",
  "runnerId",
  "allowFailure",
  "failureReason",
] as const satisfies readonly (keyof JobEvent)[];

// Fails to compile when JobEvent gains an optional field that the list above lacks.
type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];
type Unlisted = Exclude<OptionalKeys<JobEvent>, (typeof OPTIONAL_JOB_EVENT_FIELDS)[number]>;
const everyOptionalFieldListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyOptionalFieldListed;
