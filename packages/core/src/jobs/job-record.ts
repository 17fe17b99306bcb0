import type { JobEvent } from "./job-event";
import { isFinished, type JobStatus, statusRank } from "./job-status";

/** How long a job is remembered after its last event: finished jobs briefly, others until surely stale. */
export const JOB_RETENTION_SECONDS = {
  finished: 7 * 24 * 3600,
  unfinished: 30 * 24 * 3600,
} as const;

/** What the control plane learns about a job besides its hooks; hooks never overwrite it. */
export interface JobAnnotations {
  /** The job's tags, read from GitLab's job API by the scaler (the hook does not carry them). */
  readonly tags?: readonly string[];
  /** The job's spot instance got an interruption warning while running it. */
  readonly interrupted?: boolean;
  /**
   * Since when the job is owed its one retry (ISO 8601): a spot interruption killed it and the
   * retry is not settled yet. Such jobs are listed for the reaper (listRetriesDue).
   */
  readonly retryDueSince?: string;
  /**
   * When a process claimed the retry to make it (ISO 8601). A claim that settled nothing within
   * RETRY_CLAIM_SECONDS was cut short (a crash, a timeout) and may be taken again.
   */
  readonly retryClaimedAt?: string;
  /** The job GitLab made to retry this one: its one retry is made. */
  readonly retriedAs?: number;
  /** GitLab would not retry it (retried already by an attempt cut short, or not retryable): its answer. */
  readonly retryRefused?: string;
  /** GitLab made this job to retry one that a spot interruption killed (see `retry_on_demand`). */
  readonly retryOfInterrupted?: boolean;
  /** Why the control plane, not a hook, closed the job (see recordNotVisible). */
  readonly closedReason?: string;
  /** The project's group and every group above it (GET /projects/:id/groups), for group pools. */
  readonly groupIds?: readonly number[];
  /** Idle runners of its pool that waited out idle_time while it was pending (see MAX_PASSED_OVER). */
  readonly passedOver?: number;
  /** When the last of those was counted (ISO 8601). */
  readonly lastPassedOverAt?: string;
}

/**
 * How long a claimed retry is left to its claimant before another process may take it: GitLab's
 * retry call and two writes, with room to spare. Should the claimant still be at work, GitLab
 * refuses the second retry (the job is retried already), so a job is never retried twice.
 */
export const RETRY_CLAIM_SECONDS = 60;

/** How a job's one retry ended: GitLab made it, or refused to. */
export type RetrySettlement = { readonly retriedAs: number } | { readonly retryRefused: string };

export const JOB_ANNOTATIONS = [
  "tags",
  "interrupted",
  "retryDueSince",
  "retryClaimedAt",
  "retriedAs",
  "retryRefused",
  "retryOfInterrupted",
  "closedReason",
  "groupIds",
  "passedOver",
  "lastPassedOverAt",
] as const satisfies readonly (keyof JobAnnotations)[];

/** The stored state of one job: the merge of every event that moved it forward. */
export interface JobRecord extends JobEvent, JobAnnotations {
  readonly statusRank: number;
  /** When the event that set the current status was received (ISO 8601). */
  readonly updatedAt: string;
  /** Epoch seconds after which the record may be deleted (DynamoDB TTL). */
  readonly expiresAt: number;
}

export type JobEventOutcome =
  | { readonly kind: "recorded"; readonly record: JobRecord; readonly previousStatus?: JobStatus }
  /** A duplicate, or an event that arrived after a later one: nothing changes. */
  | { readonly kind: "unchanged"; readonly currentStatus: JobStatus };

const annotationsOf = (record: JobRecord | undefined): JobAnnotations => {
  const annotations: Record<string, unknown> = {};
  if (!record) return annotations;
  for (const key of JOB_ANNOTATIONS) if (record[key] !== undefined) annotations[key] = record[key];
  return annotations;
};

export const expiryFor = (status: JobStatus, receivedAt: Date): number =>
  Math.floor(receivedAt.getTime() / 1000) +
  (isFinished(status) ? JOB_RETENTION_SECONDS.finished : JOB_RETENTION_SECONDS.unfinished);

/** The fields an event writes: the whole job as GitLab saw it when it sent the hook. */
export const recordFieldsFor = (event: JobEvent, receivedAt: Date): JobRecord => ({
  ...event,
  statusRank: statusRank(event.status),
  updatedAt: receivedAt.toISOString(),
  expiresAt: expiryFor(event.status, receivedAt),
});

/**
 * The one state rule: an event applies only if it moves the job forward, and then it replaces the
 * job's fields, because GitLab sends the whole job in every hook. Duplicates and late arrivals
 * change nothing, so any order of delivery ends in the state of the in-order stream: the
 * highest-ranked event's.
 */
export const applyJobEvent = (
  existing: JobRecord | undefined,
  event: JobEvent,
  receivedAt: Date,
  annotations: JobAnnotations = {},
): JobEventOutcome => {
  if (existing && existing.statusRank >= statusRank(event.status)) {
    return { kind: "unchanged", currentStatus: existing.status };
  }
  return {
    kind: "recorded",
    // The scaler's findings are not the hook's to replace.
    record: {
      ...annotationsOf(existing),
      ...annotations,
      ...recordFieldsFor(event, receivedAt),
    },
    ...(existing && { previousStatus: existing.status }),
  };
};

/** The GitLab part of a record: what an event about the same job would carry. */
export const jobEventOf = ({
  statusRank: _rank,
  updatedAt: _updated,
  expiresAt: _expiry,
  tags: _tags,
  interrupted: _interrupted,
  retryDueSince: _retryDueSince,
  retryClaimedAt: _retryClaimedAt,
  retriedAs: _retriedAs,
  retryRefused: _retryRefused,
  retryOfInterrupted: _retryOfInterrupted,
  closedReason: _closedReason,
  ...event
}: JobRecord): JobEvent => event;
