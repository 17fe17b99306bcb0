import { mapWithConcurrency } from "../concurrency";
import { GitLabApiError } from "../errors";
import { runnerOf } from "../jobs/job-event";
import { type JobRecord, jobEventOf } from "../jobs/job-record";
import { isGitlabJobStatus } from "../jobs/job-status";
import { recordNotVisible } from "../jobs/not-visible";
import type { PoolConfig } from "../pools/autoscaler-config";
import { needsProjectGroups, type RoutableJob, routableJob } from "../pools/routing";
import type { Clock } from "../ports/clock";
import type { DemandStore } from "../ports/demand-store";
import type { GitlabJob, JobsApi } from "../ports/gitlab";
import type { ProjectGroups } from "./project-groups";

/**
 * A project with jobs of unknown tags has them read from one request for its newest pending jobs
 * (up to 100, tags included; the untagged ones are the new ones) rather than one job read each: a
 * burst of a thousand jobs in a minute costs a request a pass, not a thousand, and one job costs
 * the same request as reading it. The listing also shows pending jobs whose hook was lost.
 */
const LISTED_PER_PROJECT = 100;

export interface TagResolution {
  /** Every job still pending whose routing facts (tags and, where needed, groups) are known now. */
  readonly routable: ReadonlyMap<number, RoutableJob>;
  /**
   * Jobs GitLab reports in another status than recorded (a lost webhook: no longer pending, or a
   * later stage's job pending or skipped already): recorded, and out of this pass's demand.
   */
  readonly closed: readonly number[];
  /** Jobs GitLab answered 404 for: recorded as `not_visible`, and out of demand. */
  readonly notVisible: readonly number[];
  /** Jobs whose tags or project groups could not be read this pass; they wait for the next one. */
  readonly deferred: readonly number[];
  /**
   * Pending jobs a project listing showed that no hook told us about (lost, or still on its way):
   * recorded with their tags, which wakes the scaler for them, before reconciliation would.
   */
  readonly discovered: readonly number[];
}

interface ResolveDependencies {
  readonly demand: DemandStore;
  readonly jobsApi: JobsApi;
  readonly clock: Clock;
  readonly pools: readonly PoolConfig[];
  readonly projectGroups: ProjectGroups;
}

/**
 * The Job Hook carries neither the job's tags nor its project's groups, so both are read once from
 * GitLab (the job, or its project's pending listing when many wait; the project's groups only
 * where a group pool could take the job, kept for the process: see ProjectGroups) and kept on the
 * job record.
 * Bounded per pass; a rate limit ends the reading.
 */
export const resolveJobTags = async (
  deps: ResolveDependencies,
  /** Pending jobs, and the later-stage (created) jobs lookahead launches for. */
  pending: readonly JobRecord[],
  budget: number,
): Promise<TagResolution> => {
  const routable = new Map<number, RoutableJob>();
  const closed: number[] = [];
  const notVisible: number[] = [];
  const deferred: number[] = [];
  let reads = 0;
  let rateLimited = false;
  const mayRead = () => !rateLimited && reads++ < budget;

  const listed = new Map<number, GitlabJob>();
  // The jobs resolved below are annotated there, the listing's others here.
  const asked = new Set(pending.map((job) => job.jobId));
  const known = new Set(pending.filter((job) => job.status === "pending").map((job) => job.jobId));
  const discovered: number[] = [];
  const listProjectsPending = async (projectId: number) => {
    if (!mayRead()) return;
    const jobs = await deps.jobsApi.listNewestWaitingJobs(projectId, LISTED_PER_PROJECT);
    for (const job of jobs) listed.set(job.id, job);
    // A later stage's jobs get their tags now, where their `created` hooks were recorded: pending
    // later, they need no listing of their own.
    for (const job of jobs.filter((listed) => listed.status === "created" && !asked.has(listed.id)))
      await deps.demand.annotateJob(job.id, { tags: job.tagList });
    // The listing is read anyway: the jobs in it that we do not hold pending cost no call. The
    // state rule leaves a job we know further along (running, finished) as it is.
    const pendingListed = jobs.filter((candidate) => candidate.status === "pending");
    for (const job of pendingListed.filter((candidate) => !known.has(candidate.id))) {
      const outcome = await deps.demand.recordJobEvent(
        { jobId: job.id, projectId, status: "pending" },
        deps.clock.now(),
        { tags: job.tagList },
      );
      if (outcome.kind === "recorded") discovered.push(job.id);
    }
  };

  const resolve = async (job: JobRecord) => {
    let tags = job.tags;
    const fromListing = tags ? undefined : listed.get(job.jobId);
    if (fromListing) {
      await deps.demand.annotateJob(job.jobId, { tags: fromListing.tagList });
      tags = fromListing.tagList;
    } else if (!tags) {
      if (!mayRead()) return deferred.push(job.jobId);
      const found = await deps.jobsApi.getJob(job.projectId, job.jobId);
      const now = deps.clock.now();
      if (!found) {
        await recordNotVisible(deps.demand, job, now);
        return notVisible.push(job.jobId);
      }
      await deps.demand.annotateJob(job.jobId, { tags: found.tagList });
      if (found.status !== job.status && isGitlabJobStatus(found.status)) {
        await deps.demand.recordJobEvent(
          { ...jobEventOf(job), status: found.status, ...runnerOf(found) },
          now,
        );
        return closed.push(job.jobId);
      }
      tags = found.tagList;
    }
    let facts = routableJob({ ...job, tags }) as RoutableJob;
    if (needsProjectGroups(deps.pools, facts)) {
      let lookup = deps.projectGroups.known(job.projectId, deps.clock.now());
      if (!lookup) {
        if (!mayRead()) return deferred.push(job.jobId);
        lookup = deps.projectGroups.remember(
          job.projectId,
          deps.clock.now(),
          deps.jobsApi.projectGroupIds(job.projectId),
        );
      }
      // A project GitLab does not show is in no group our token can see: no group pool takes it.
      const groupIds = (await lookup) ?? [];
      await deps.demand.annotateJob(job.jobId, { groupIds });
      facts = { ...facts, groupIds };
    }
    routable.set(job.jobId, facts);
  };

  const untaggedProjects = [
    ...new Set(pending.filter((job) => !job.tags).map((job) => job.projectId)),
  ];
  await mapWithConcurrency(untaggedProjects, 4, async (projectId) => {
    try {
      await listProjectsPending(projectId);
    } catch (error) {
      // Its jobs are read one by one instead, as the budget allows.
      if (!(error instanceof GitLabApiError) || !error.retryable) throw error;
      rateLimited ||= error.status === 429;
    }
  });
  await mapWithConcurrency(pending, 4, async (job) => {
    try {
      await resolve(job);
    } catch (error) {
      if (!(error instanceof GitLabApiError) || !error.retryable) throw error;
      rateLimited ||= error.status === 429;
      deferred.push(job.jobId);
    }
  });
  return { routable, closed, notVisible, deferred, discovered };
};
