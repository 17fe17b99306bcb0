import type { JobRecord } from "./job-record";

/**
 * A job of a pipeline failed (not allowed to) or was canceled: the stages after it will not run,
 * unless GitLab retries the job (a new job in the same stage). GitLab sends no hook when it skips
 * the later jobs, so this is what tells lookahead that their `created` records are no demand.
 */
export interface PipelineHalt {
  readonly pipelineId: number;
  readonly projectId: number;
  /** The halting job, its name and its stage's name: a retry of it is a later job of that name. */
  readonly jobId: number;
  readonly name?: string;
  readonly stage?: string;
  /** When the hook that said so was received (ISO 8601). */
  readonly haltedAt: string;
}

/** A successful retry of a job (GitLab's `retries_count` above 0): its pipeline goes on. */
export interface PipelineRetry {
  readonly pipelineId: number;
  readonly jobId: number;
  readonly name: string;
  readonly stage: string;
}

/** How long a halt is kept: longer than any pipeline lookahead still estimates (LOOKAHEAD_WINDOW). */
export const PIPELINE_HALT_RETENTION_SECONDS = 24 * 3600;

/** The unfinished statuses lookahead reads a pipeline's jobs in. */
export const LOOKAHEAD_STATUSES = [
  "created",
  "waiting_for_resource",
  "preparing",
  "pending",
  "running",
  "manual",
  "scheduled",
] as const;

/** What lookahead reads of the pipelines made since a moment. */
export interface PipelineDemand {
  /** Their jobs in LOOKAHEAD_STATUSES that carry a pipeline id. */
  readonly jobs: readonly JobRecord[];
  /** Their halts, the latest of each pipeline. */
  readonly halts: readonly PipelineHalt[];
}
