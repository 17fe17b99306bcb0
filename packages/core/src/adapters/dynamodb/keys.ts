import type { JobStatus } from "../../jobs/job-status";

export const ItemKind = {
  Job: "job",
  Project: "project",
  Runner: "runner",
  Ledger: "ledger",
  Registration: "registration",
} as const;

export const jobKey = (jobId: number) => ({ pk: `JOB#${jobId}`, sk: "JOB" });
export const projectKey = (projectId: number) => ({ pk: `PROJECT#${projectId}`, sk: "PROJECT" });

/** Unfinished jobs are indexed by status, oldest first; finished ones drop out of the index. */
export const jobsByStatusPartition = (status: JobStatus) => `JOBS#${status}`;
export const jobsByStatusSort = (since: string, jobId: number) =>
  `${since}#${String(jobId).padStart(16, "0")}`;

export const ACTIVE_PROJECTS_PARTITION = "PROJECTS";
/** Finished jobs owed a retry after a spot interruption, until it is settled. */
export const RETRIES_DUE_PARTITION = "RETRIES";

export const runnerKey = (name: string) => ({ pk: `RUNNER#${name}`, sk: "RUNNER" });
export const LIVE_RUNNERS_PARTITION = "RUNNERS";

/** Registrations kept between jobs, indexed by pool and, within it, by when they were freed. */
export const registrationKey = (name: string) => ({
  pk: `REGISTRATION#${name}`,
  sk: "REGISTRATION",
});
export const REGISTRATIONS_PARTITION = "REGISTRATIONS";
export const registrationsSort = (pool: string, freeSince: string, name: string) =>
  `${pool}#${freeSince}#${name}`;

/** One counter per pool and one for the fleet, all listed under one index partition. */
export const poolLedgerKey = (pool: string) => ({ pk: `LEDGER#pool#${pool}`, sk: "LEDGER" });
/** A capped GitLab scope's registrations (`group#42`), shared by the pools of that scope. */
export const scopeLedgerKey = (scope: string) => ({ pk: `LEDGER#scope#${scope}`, sk: "LEDGER" });
export const GLOBAL_LEDGER_KEY = { pk: "LEDGER#global", sk: "LEDGER" } as const;
export const LEDGER_PARTITION = "LEDGER";
