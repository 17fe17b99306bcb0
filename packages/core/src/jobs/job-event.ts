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
