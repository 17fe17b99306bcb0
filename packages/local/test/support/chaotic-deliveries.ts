import type { GitlabModelJob } from "@ger/core";
import type { Deliver, DeliveryPolicy } from "../../src/gitlab-double/webhook-sender";

/** What happens to a job's hooks; a job says which in its name (`<chaos>-<n>`). */
export const CHAOS = [
  "in_order",
  /** Every hook twice at once, the same delivery (same Idempotency-Key), as a retry would be. */
  "repeated",
  /** Every hook again a little later, as another delivery (a new Idempotency-Key). */
  "redelivered",
  /** Pending arrives after running. */
  "running_first",
  /** Success arrives first, then running, then pending. */
  "success_first",
  /** Not one hook arrives: reconciliation must find the job. */
  "all_dropped",
  /** Its last hook (success) never arrives. */
  "success_dropped",
] as const;

export type Chaos = (typeof CHAOS)[number];

const chaosOf = (job: GitlabModelJob): Chaos =>
  CHAOS.find((chaos) => job.name?.startsWith(`${chaos}-`)) ?? "in_order";

/** Statuses whose hooks wait, per chaos, and the status whose hook sends them after it. */
const HELD: Partial<Record<Chaos, { readonly held: readonly string[]; readonly until: string }>> = {
  running_first: { held: ["pending"], until: "running" },
  success_first: { held: ["pending", "running"], until: "success" },
};

const REDELIVERY_DELAY_MS = 300;

/** Drops, repeats and reorders each job's hooks as its name says. */
export const chaoticDeliveries = (): DeliveryPolicy => {
  const held = new Map<number, Deliver[]>();
  const hold = (jobId: number, deliver: Deliver) =>
    held.set(jobId, [...(held.get(jobId) ?? []), deliver]);
  /** The released hook, then the held ones, newest first. */
  const release = async (jobId: number, deliver: Deliver) => {
    await deliver();
    const waiting = held.get(jobId) ?? [];
    held.delete(jobId);
    for (const later of waiting.reverse()) await later();
  };
  return (job, deliver) => {
    const chaos = chaosOf(job);
    const reorder = HELD[chaos];
    if (reorder?.held.includes(job.status)) return hold(job.id, deliver);
    if (reorder?.until === job.status) return void release(job.id, deliver);
    switch (chaos) {
      case "repeated":
        void deliver();
        void deliver();
        return;
      case "redelivered":
        void deliver();
        setTimeout(() => void deliver({ freshKey: true }), REDELIVERY_DELAY_MS);
        return;
      case "all_dropped":
        return;
      case "success_dropped":
        if (job.status !== "success") void deliver();
        return;
      default:
        void deliver();
    }
  };
};
