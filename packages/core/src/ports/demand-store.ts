import type { JobEvent } from "../jobs/job-event";
import type {
  JobAnnotations,
  JobEventOutcome,
  JobRecord,
  RetrySettlement,
} from "../jobs/job-record";
import type { PipelineDemand, PipelineHalt, PipelineRetry } from "../jobs/pipeline-halt";
import type { ProjectActivity } from "../jobs/project-activity";

/** Where demand lives: jobs by state, and the projects that sent them. */
export interface DemandStore {
  /**
   * Applies one event atomically under the state rule (see applyJobEvent); `annotations` are
   * written in the same step, and only if the event is.
   */
  recordJobEvent(
    event: JobEvent,
    receivedAt: Date,
    annotations?: JobAnnotations,
  ): Promise<JobEventOutcome>;
  /** Notes that a project sent a job event; cheap to call on every event. */
  noteProjectActivity(projectId: number, at: Date): Promise<void>;
  /** Every job not yet expired, in no particular order. */
  listJobs(now: Date): Promise<JobRecord[]>;
  /** Jobs whose last known status is pending, oldest first. */
  listPendingJobs(now: Date): Promise<JobRecord[]>;
  /** Adds what the control plane learnt about a job (tags, interruption); nothing for a job not recorded. */
  annotateJob(jobId: number, annotations: JobAnnotations): Promise<void>;
  /**
   * Claims, at `now`, the one retry a failed job may get, and marks it owed until settled; false
   * when it is settled, claimed less than RETRY_CLAIM_SECONDS ago, or the job is not failed.
   */
  claimJobRetry(jobId: number, now: Date): Promise<boolean>;
  /** Records how the job's retry ended; it is owed no longer, and no claim will be granted again. */
  settleJobRetry(jobId: number, settlement: RetrySettlement): Promise<void>;
  /** Jobs owed a retry (claimed or not, see `retryDueSince`), oldest first. */
  listRetriesDue(now: Date): Promise<JobRecord[]>;
  /**
   * The jobs lookahead reads (LOOKAHEAD_STATUSES, with a pipeline id) created at or after `since`,
   * and the halts of pipelines noted at or after it.
   */
  listPipelineDemand(now: Date, since: Date): Promise<PipelineDemand>;
  /** Notes a pipeline halt; a later one of the same pipeline replaces it. Idempotent. */
  notePipelineHalt(halt: PipelineHalt): Promise<void>;
  /**
   * A retry of the halting job succeeded: the halt is no longer listed. Only a halt by an earlier
   * job of the retry's name and stage is lifted; a later halt of the pipeline noted after the lift
   * is listed again. Idempotent.
   */
  liftPipelineHalt(retry: PipelineRetry): Promise<void>;
  /** Projects with a job event at or after `since`. */
  listActiveProjects(since: Date): Promise<ProjectActivity[]>;
}
