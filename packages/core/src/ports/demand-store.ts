import type { JobEvent } from "../jobs/job-event";
import type { JobAnnotations, JobEventOutcome, JobRecord } from "../jobs/job-record";
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
  /** Claims the one retry a job may get; false when it was claimed before (or the job is unknown). */
  claimJobRetry(jobId: number): Promise<boolean>;
  /** Gives a claimed retry back, when GitLab refused to make it: the next delivery claims it again. */
  releaseJobRetry(jobId: number): Promise<void>;
  /** Projects with a job event at or after `since`. */
  listActiveProjects(since: Date): Promise<ProjectActivity[]>;
}
