import type { DemandStore } from "../ports/demand-store";
import { type JobEventOutcome, type JobRecord, jobEventOf } from "./job-record";

/** The reason kept on a `not_visible` job. */
export const NOT_VISIBLE_REASON = "gitlab_404";

/**
 * GitLab answered 404 for a job we hold: the token cannot see its project, or the job was erased.
 * Either way we will learn nothing more about it, so it leaves demand under a status of its own
 * (not `canceled`: nobody canceled it) and expires like a finished job.
 */
export const recordNotVisible = (
  demand: DemandStore,
  job: JobRecord,
  at: Date,
): Promise<JobEventOutcome> =>
  demand.recordJobEvent({ ...jobEventOf(job), status: "not_visible" }, at, {
    closedReason: NOT_VISIBLE_REASON,
  });
