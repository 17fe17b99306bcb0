import type { JobEvent } from "../../jobs/job-event";
import {
  applyJobEvent,
  type JobAnnotations,
  type JobEventOutcome,
  type JobRecord,
  RETRY_CLAIM_SECONDS,
  type RetrySettlement,
} from "../../jobs/job-record";
import {
  PROJECT_ACTIVITY_REFRESH_SECONDS,
  type ProjectActivity,
} from "../../jobs/project-activity";
import type { DemandStore } from "../../ports/demand-store";

/** The pending GSI's order: oldest first (createdAt, else the hook's receipt), then by id. */
const byCreatedAt = (a: JobRecord, b: JobRecord): number => {
  const since = (job: JobRecord) => job.createdAt ?? job.updatedAt;
  // Plain comparison: the byte order the index sorts its keys in, and cheaper than localeCompare.
  if (since(a) !== since(b)) return since(a) < since(b) ? -1 : 1;
  return a.jobId - b.jobId;
};

/** DemandStore in memory, for the simulator and unit tests; same state rule as DynamoDB's. */
export class InMemoryDemandStore implements DemandStore {
  private readonly jobs = new Map<number, JobRecord>();
  /** What the pending GSI partition holds: the pending jobs, in the order they became pending. */
  private readonly pending = new Map<number, JobRecord>();
  private readonly projects = new Map<number, ProjectActivity>();
  /** What the retries-due partition of the index holds: jobs owed a retry. */
  private readonly retriesDue = new Map<number, JobRecord>();

  async recordJobEvent(
    event: JobEvent,
    receivedAt: Date,
    annotations?: JobAnnotations,
  ): Promise<JobEventOutcome> {
    const outcome = applyJobEvent(this.jobs.get(event.jobId), event, receivedAt, annotations);
    if (outcome.kind === "recorded") this.put(outcome.record);
    return outcome;
  }

  /** The job as stored now: what a stream's new image of it shows (the simulator's stream reads it). */
  peek(jobId: number): JobRecord | undefined {
    return this.jobs.get(jobId);
  }

  async listPendingJobs(now: Date): Promise<JobRecord[]> {
    const live = this.unexpired(this.pending.values(), now);
    // Jobs mostly become pending oldest first, so the sort mostly meets one run already in order.
    return live.sort(byCreatedAt);
  }

  async annotateJob(jobId: number, annotations: JobAnnotations): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job) this.put({ ...job, ...annotations });
  }

  async claimJobRetry(jobId: number, now: Date): Promise<boolean> {
    const job = this.jobs.get(jobId);
    if (job?.status !== "failed" || job.retriedAs !== undefined || job.retryRefused !== undefined)
      return false;
    const expiredBefore = now.getTime() - RETRY_CLAIM_SECONDS * 1000;
    if (job.retryClaimedAt !== undefined && Date.parse(job.retryClaimedAt) >= expiredBefore)
      return false;
    const at = now.toISOString();
    this.put({ ...job, retryDueSince: job.retryDueSince ?? at, retryClaimedAt: at });
    return true;
  }

  async settleJobRetry(jobId: number, settlement: RetrySettlement): Promise<void> {
    const job = this.jobs.get(jobId);
    if (!job) return;
    const { retryDueSince: _due, retryClaimedAt: _claimed, ...settled } = job;
    this.put({ ...settled, ...settlement });
  }

  async listRetriesDue(now: Date): Promise<JobRecord[]> {
    const since = (job: JobRecord) => job.retryDueSince as string;
    return this.unexpired(this.retriesDue.values(), now).sort((a, b) =>
      since(a) === since(b) ? a.jobId - b.jobId : since(a) < since(b) ? -1 : 1,
    );
  }

  async noteProjectActivity(projectId: number, at: Date): Promise<void> {
    const known = this.projects.get(projectId);
    const refreshBefore = at.getTime() - PROJECT_ACTIVITY_REFRESH_SECONDS * 1000;
    if (known && Date.parse(known.lastJobEventAt) >= refreshBefore) return;
    this.projects.set(projectId, { projectId, lastJobEventAt: at.toISOString() });
  }

  async listJobs(now: Date): Promise<JobRecord[]> {
    return this.unexpired(this.jobs.values(), now);
  }

  async listActiveProjects(since: Date): Promise<ProjectActivity[]> {
    return [...this.projects.values()].filter(
      (project) => Date.parse(project.lastJobEventAt) >= since.getTime(),
    );
  }

  /** The one write: keeps the index partitions in step with the job. */
  private put(job: JobRecord): void {
    this.jobs.set(job.jobId, job);
    if (job.status === "pending") this.pending.set(job.jobId, job);
    else this.pending.delete(job.jobId);
    if (job.retryDueSince !== undefined) this.retriesDue.set(job.jobId, job);
    else this.retriesDue.delete(job.jobId);
  }

  /**
   * The jobs whose TTL has not passed. Those whose TTL has, this deletes, as DynamoDB's TTL does
   * (later): expired records would otherwise pile up in a long simulation.
   */
  private unexpired(jobs: Iterable<JobRecord>, now: Date): JobRecord[] {
    const nowSeconds = now.getTime() / 1000;
    const live: JobRecord[] = [];
    for (const job of jobs) {
      if (job.expiresAt > nowSeconds) live.push(job);
      else {
        this.jobs.delete(job.jobId);
        this.pending.delete(job.jobId);
        this.retriesDue.delete(job.jobId);
      }
    }
    return live;
  }
}
