import { createHash } from "node:crypto";
import type { JobStatus } from "../../jobs/job-status";

export const ItemKind = {
  Job: "job",
  Project: "project",
  Runner: "runner",
  Ledger: "ledger",
  Registration: "registration",
  Pipeline: "pipeline",
  Duration: "duration",
} as const;

export const jobKey = (jobId: number) => ({ pk: `JOB#${jobId}`, sk: "JOB" });
export const projectKey = (projectId: number) => ({ pk: `PROJECT#${projectId}`, sk: "PROJECT" });

/** Unfinished jobs are indexed by status, oldest first; finished ones drop out of the index. */
export const jobsByStatusPartition = (status: JobStatus) => `JOBS#${status}`;
export const jobsByStatusSort = (since: string, jobId: number) =>
  `${since}#${String(jobId).padStart(16, "0")}`;

/** A pipeline's latest halt, indexed by when it was noted (see PipelineHalt). */
export const pipelineKey = (pipelineId: number) => ({
  pk: `PIPELINE#${pipelineId}`,
  sk: "PIPELINE",
});
export const PIPELINE_HALTS_PARTITION = "PIPELINE_HALTS";
export const pipelineHaltsSort = (haltedAt: string, pipelineId: number) =>
  `${haltedAt}#${String(pipelineId).padStart(16, "0")}`;

/** Job names longer than this (in UTF-8) are keyed by their hash: a partition key takes 2048 bytes. */
const MAX_KEYED_NAME_BYTES = 200;
const LONE_SURROGATE = /\p{Cs}/u;

/** Every duration history's partition key starts so (the webhook's IAM reads only these). */
export const DURATION_PARTITION_PREFIX = "DURATION#";

/**
 * The durations of one job name of one project (its historyName): keyed `N#name` by the name
 * itself when short, else `H#` and its SHA-256 (base64url), so that no name's key is another's
 * hash. A name that is not well-formed UTF-16 (a lone surrogate, which the SDK would send as
 * U+FFFD) is hashed from its UTF-16 code units, which keep it apart from its neighbours. Not
 * indexed.
 */
export const durationKey = (projectId: number, history: string) => {
  const keyed =
    Buffer.byteLength(history, "utf8") <= MAX_KEYED_NAME_BYTES && !LONE_SURROGATE.test(history)
      ? `N#${history}`
      : `H#${createHash("sha256").update(history, "utf16le").digest("base64url")}`;
  return { pk: `${DURATION_PARTITION_PREFIX}${projectId}#${keyed}`, sk: "DURATION" };
};

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
