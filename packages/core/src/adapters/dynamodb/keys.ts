import type { JobStatus } from "../../jobs/job-status";

export const ItemKind = { Job: "job", Project: "project" } as const;

export const jobKey = (jobId: number) => ({ pk: `JOB#${jobId}`, sk: "JOB" });
export const projectKey = (projectId: number) => ({ pk: `PROJECT#${projectId}`, sk: "PROJECT" });

/** Unfinished jobs are indexed by status, oldest first; finished ones drop out of the index. */
export const jobsByStatusPartition = (status: JobStatus) => `JOBS#${status}`;
export const jobsByStatusSort = (since: string, jobId: number) =>
  `${since}#${String(jobId).padStart(16, "0")}`;

export const ACTIVE_PROJECTS_PARTITION = "PROJECTS";
