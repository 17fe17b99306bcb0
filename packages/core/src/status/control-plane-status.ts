import type { JobRecord } from "../jobs/job-record";
import type { JobStatus } from "../jobs/job-status";
import { PROJECT_ACTIVITY_WINDOW_SECONDS } from "../jobs/project-activity";
import type { Clock } from "../ports/clock";
import type { DemandStore } from "../ports/demand-store";

/** A job as operators see it: what GitLab said, without storage bookkeeping. */
export type JobView = { readonly id: number } & Omit<
  JobRecord,
  "jobId" | "statusRank" | "expiresAt"
>;

/** What the control plane sees, for operators (`cli status`). */
export interface ControlPlaneStatus {
  readonly generatedAt: string;
  readonly jobs: readonly JobView[];
  readonly jobsByStatus: Readonly<Partial<Record<JobStatus, number>>>;
  readonly activeProjects: readonly { readonly id: number; readonly lastJobEventAt: string }[];
}

const toJobView = ({
  jobId,
  statusRank: _rank,
  expiresAt: _expiry,
  ...job
}: JobRecord): JobView => ({
  id: jobId,
  ...job,
});

export const readControlPlaneStatus = async (
  demand: DemandStore,
  clock: Clock,
): Promise<ControlPlaneStatus> => {
  const now = clock.now();
  const since = new Date(now.getTime() - PROJECT_ACTIVITY_WINDOW_SECONDS * 1000);
  const [jobs, projects] = await Promise.all([
    demand.listJobs(now),
    demand.listActiveProjects(since),
  ]);
  const jobsByStatus: Partial<Record<JobStatus, number>> = {};
  for (const job of jobs) jobsByStatus[job.status] = (jobsByStatus[job.status] ?? 0) + 1;
  return {
    generatedAt: now.toISOString(),
    jobs: jobs.map(toJobView).sort((a, b) => a.id - b.id),
    jobsByStatus,
    activeProjects: projects
      .map((project) => ({ id: project.projectId, lastJobEventAt: project.lastJobEventAt }))
      .sort((a, b) => a.id - b.id),
  };
};
