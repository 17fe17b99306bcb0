import type { JobEvent } from "../../jobs/job-event";
import {
  applyJobEvent,
  type JobAnnotations,
  type JobEventOutcome,
  type JobRecord,
} from "../../jobs/job-record";
import {
  PROJECT_ACTIVITY_REFRESH_SECONDS,
  type ProjectActivity,
} from "../../jobs/project-activity";
import type { DemandStore } from "../../ports/demand-store";

/** DemandStore in memory, for the simulator and unit tests; same state rule as DynamoDB's. */
export class InMemoryDemandStore implements DemandStore {
  private readonly jobs = new Map<number, JobRecord>();
  private readonly projects = new Map<number, ProjectActivity>();

  async recordJobEvent(
    event: JobEvent,
    receivedAt: Date,
    annotations?: JobAnnotations,
  ): Promise<JobEventOutcome> {
    const outcome = applyJobEvent(this.jobs.get(event.jobId), event, receivedAt, annotations);
    if (outcome.kind === "recorded") this.jobs.set(event.jobId, outcome.record);
    return outcome;
  }

  async listPendingJobs(now: Date): Promise<JobRecord[]> {
    const jobs = await this.listJobs(now);
    return jobs
      .filter((job) => job.status === "pending")
      .sort(
        (a, b) =>
          (a.createdAt ?? a.updatedAt).localeCompare(b.createdAt ?? b.updatedAt) ||
          a.jobId - b.jobId,
      );
  }

  async annotateJob(jobId: number, annotations: JobAnnotations): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job) this.jobs.set(jobId, { ...job, ...annotations });
  }

  async claimJobRetry(jobId: number): Promise<boolean> {
    const job = this.jobs.get(jobId);
    if (!job || job.retryClaimed) return false;
    this.jobs.set(jobId, { ...job, retryClaimed: true });
    return true;
  }

  async noteProjectActivity(projectId: number, at: Date): Promise<void> {
    const known = this.projects.get(projectId);
    const refreshBefore = at.getTime() - PROJECT_ACTIVITY_REFRESH_SECONDS * 1000;
    if (known && Date.parse(known.lastJobEventAt) >= refreshBefore) return;
    this.projects.set(projectId, { projectId, lastJobEventAt: at.toISOString() });
  }

  async listJobs(now: Date): Promise<JobRecord[]> {
    const nowSeconds = now.getTime() / 1000;
    return [...this.jobs.values()].filter((job) => job.expiresAt > nowSeconds);
  }

  async listActiveProjects(since: Date): Promise<ProjectActivity[]> {
    return [...this.projects.values()].filter(
      (project) => Date.parse(project.lastJobEventAt) >= since.getTime(),
    );
  }
}
