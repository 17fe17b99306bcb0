import { GitLabApiError } from "../errors";
import { RETRY_CLAIM_SECONDS } from "../jobs/job-record";
import type { Clock } from "../ports/clock";
import type { DemandStore } from "../ports/demand-store";
import type { JobsApi } from "../ports/gitlab";

export interface RetryDependencies {
  readonly demand: DemandStore;
  readonly jobsApi: JobsApi;
  readonly clock: Clock;
}

/**
 * GitLab will not retry the job: it was retried already (by an attempt of ours cut short after
 * GitLab made the retry) or is no longer retryable (403), or it is gone (404). Asking again is
 * pointless, and GitLab's own refusal is what keeps a job from ever being retried twice.
 */
const isRefusal = (error: unknown): error is GitLabApiError =>
  error instanceof GitLabApiError && (error.status === 403 || error.status === 404);

export type RetryOutcome =
  | { readonly kind: "retried"; readonly retryId: number }
  /** Settled already, or claimed by another process less than RETRY_CLAIM_SECONDS ago. */
  | { readonly kind: "not_claimed" }
  | { readonly kind: "refused" };

/**
 * Makes the one retry a job killed by a spot interruption gets: claims it, asks GitLab, records
 * the retry at once as pending demand marked as such (so the scaler starts an on-demand runner
 * for it before its own hook arrives; should the hook win, the mark is added to the job it
 * recorded), and settles the claim. A claim that failed or was cut short anywhere is taken again
 * once RETRY_CLAIM_SECONDS have passed (resumeDueRetries).
 */
export const retryInterruptedJob = async (
  deps: RetryDependencies,
  job: { readonly jobId: number; readonly projectId: number },
): Promise<RetryOutcome> => {
  const { jobId, projectId } = job;
  if (!(await deps.demand.claimJobRetry(jobId, deps.clock.now()))) return { kind: "not_claimed" };
  let retry: Awaited<ReturnType<JobsApi["retryJob"]>>;
  try {
    retry = await deps.jobsApi.retryJob(projectId, jobId);
  } catch (error) {
    if (isRefusal(error)) {
      await deps.demand.settleJobRetry(jobId, { retryRefused: error.message.slice(0, 500) });
      return { kind: "refused" };
    }
    // GitLab made no retry (429, 5xx). The claim is not given back: its write would wake the
    // scaler at once, against a GitLab that is failing. Once it expires, the reaper takes it.
    throw error;
  }
  const annotations = { tags: retry.tagList, retryOfInterrupted: true };
  const outcome = await deps.demand.recordJobEvent(
    { jobId: retry.id, projectId, status: "pending" },
    deps.clock.now(),
    annotations,
  );
  if (outcome.kind === "unchanged") await deps.demand.annotateJob(retry.id, annotations);
  await deps.demand.settleJobRetry(jobId, { retriedAs: retry.id });
  return { kind: "retried", retryId: retry.id };
};

export interface ResumedRetries {
  /** Retries made for jobs whose earlier claim failed or was cut short: the new jobs' ids. */
  readonly retried: readonly number[];
  /** Jobs GitLab would not retry: retried already, or no longer retryable. */
  readonly refused: number;
  /** GitLab answered 429: the rest wait for the next pass. */
  readonly rateLimited: boolean;
}

/** Jobs resumed per pass at most: each costs a GitLab call. */
const RETRIES_PER_PASS = 25;

/**
 * The retries owed whose claim is free or has expired, made now: a retry must not depend on the
 * invocation that claimed it surviving, since Lambda's redelivery of its batch finds the claim
 * taken. A claim younger than RETRY_CLAIM_SECONDS may still be at work, and is left alone.
 */
export const resumeDueRetries = async (deps: RetryDependencies): Promise<ResumedRetries> => {
  const now = deps.clock.now();
  const expiredBefore = now.getTime() - RETRY_CLAIM_SECONDS * 1000;
  const due = (await deps.demand.listRetriesDue(now)).filter(
    (job) => job.retryClaimedAt === undefined || Date.parse(job.retryClaimedAt) < expiredBefore,
  );
  const retried: number[] = [];
  let refused = 0;
  for (const job of due.slice(0, RETRIES_PER_PASS)) {
    try {
      const outcome = await retryInterruptedJob(deps, job);
      if (outcome.kind === "retried") retried.push(outcome.retryId);
      if (outcome.kind === "refused") refused += 1;
    } catch (error) {
      // GitLab failed again: the job stays owed, for the next pass.
      if (!(error instanceof GitLabApiError) || !error.retryable) throw error;
      if (error.status === 429) return { retried, refused, rateLimited: true };
    }
  }
  return { retried, refused, rateLimited: false };
};
