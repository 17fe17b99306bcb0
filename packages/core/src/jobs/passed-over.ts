import type { JobRecord } from "./job-record";

/**
 * Idle runners of a job's pool that waited out their idle_time while the job was pending, before
 * it stops counting as demand. A job GitLab never hands to the pool's runners (a scope or setting
 * the control plane cannot see) would otherwise start a runner, wait out its idle_time and start
 * the next one for as long as it stays pending. Only a runner that polled GitLab while the job
 * waited is evidence: one that never came up, or took another job (GitLab hands out the oldest
 * first), says nothing about this job.
 */
export const MAX_PASSED_OVER = 3;

/** A pending job younger than this may not have been offered to the idle runners yet. */
export const FRESH_DEMAND_SECONDS = 60;

export const isUnserved = (job: Pick<JobRecord, "passedOver">): boolean =>
  (job.passedOver ?? 0) >= MAX_PASSED_OVER;

const pendingSinceMs = (job: Pick<JobRecord, "createdAt" | "updatedAt">) =>
  Date.parse(job.createdAt ?? job.updatedAt);

/** Younger than FRESH_DEMAND_SECONDS: an idle runner may still be about to take it. */
export const isFreshDemand = (job: Pick<JobRecord, "createdAt" | "updatedAt">, now: Date) =>
  now.getTime() - pendingSinceMs(job) < FRESH_DEMAND_SECONDS * 1000;

/**
 * The pending jobs an idle runner, now retired after its idle_time, was polling past: pending for
 * FRESH_DEMAND_SECONDS or more of the runner's idle time. Counted once per idle_time, so a round
 * of idle runners retired together counts as one.
 */
export const passedOverBy = <T extends JobRecord>(
  pending: readonly T[],
  idleSince: Date,
  idleTimeSeconds: number,
  now: Date,
): T[] =>
  pending.filter((job) => {
    const overlapMs = now.getTime() - Math.max(pendingSinceMs(job), idleSince.getTime());
    const roundOver =
      job.lastPassedOverAt === undefined ||
      now.getTime() - Date.parse(job.lastPassedOverAt) >= idleTimeSeconds * 1000;
    return overlapMs >= FRESH_DEMAND_SECONDS * 1000 && roundOver;
  });
