import { mapWithConcurrency } from "../concurrency";
import { GitLabApiError } from "../errors";
import { type JobRecord, jobEventOf } from "../jobs/job-record";
import { isGitlabJobStatus } from "../jobs/job-status";
import { recordNotVisible } from "../jobs/not-visible";
import type { Clock } from "../ports/clock";
import type { DemandStore } from "../ports/demand-store";
import type { JobsApi } from "../ports/gitlab";

export interface TagResolution {
  /** Tags of every job that is still pending and whose tags are known now. */
  readonly tags: ReadonlyMap<number, readonly string[]>;
  /** Jobs GitLab reports as no longer pending (a lost webhook): recorded, and out of demand. */
  readonly closed: readonly number[];
  /** Jobs GitLab answered 404 for: recorded as `not_visible`, and out of demand. */
  readonly notVisible: readonly number[];
  /** Jobs whose tags could not be read this pass; they wait for the next one. */
  readonly deferred: readonly number[];
}

/**
 * The Job Hook carries no job tags, so each pending job's tags are read once from GitLab's job API
 * and kept on the job record (the cache). Bounded per pass; a rate limit ends the pass's reading.
 */
export const resolveJobTags = async (
  deps: { readonly demand: DemandStore; readonly jobsApi: JobsApi; readonly clock: Clock },
  pending: readonly JobRecord[],
  budget: number,
): Promise<TagResolution> => {
  const tags = new Map<number, readonly string[]>();
  for (const job of pending) if (job.tags) tags.set(job.jobId, job.tags);
  const unknown = pending.filter((job) => !job.tags);
  const toRead = unknown.slice(0, budget);
  const deferred = unknown.slice(budget).map((job) => job.jobId);
  const closed: number[] = [];
  const notVisible: number[] = [];
  let rateLimited = false;

  await mapWithConcurrency(toRead, 4, async (job) => {
    if (rateLimited) return deferred.push(job.jobId);
    try {
      const found = await deps.jobsApi.getJob(job.projectId, job.jobId);
      const now = deps.clock.now();
      if (!found) {
        await recordNotVisible(deps.demand, job, now);
        return notVisible.push(job.jobId);
      }
      await deps.demand.annotateJob(job.jobId, { tags: found.tagList });
      if (found.status !== "pending" && isGitlabJobStatus(found.status)) {
        await deps.demand.recordJobEvent({ ...jobEventOf(job), status: found.status }, now);
        return closed.push(job.jobId);
      }
      tags.set(job.jobId, found.tagList);
    } catch (error) {
      if (!(error instanceof GitLabApiError) || !error.retryable) throw error;
      rateLimited ||= error.status === 429;
      deferred.push(job.jobId);
    }
  });
  return { tags, closed, notVisible, deferred };
};
