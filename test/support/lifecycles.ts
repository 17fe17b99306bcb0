import type { JobEvent, JobStatus } from "@ger/core/types";
import fc from "fast-check";

/** Paths a GitLab job really takes, first status to last. */
export const LIFECYCLES: readonly (readonly JobStatus[])[] = [
  ["created", "pending", "running", "success"],
  ["created", "pending", "running", "failed"],
  ["created", "pending", "running", "canceling", "canceled"],
  ["created", "waiting_for_resource", "pending", "running", "success"],
  ["created", "manual", "pending", "running", "success"],
  ["created", "scheduled", "pending", "running", "failed"],
  ["created", "preparing", "pending", "running", "waiting_for_callback", "success"],
  ["created", "pending", "canceled"],
  ["created", "pending", "failed"],
  ["created", "skipped"],
  ["created", "manual"],
  ["created", "pending"],
];

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();

/**
 * The hooks GitLab sends for one job along a path. Each is a snapshot of the whole job at that
 * moment, as GitLab's data builder makes it: later hooks carry what earlier ones knew.
 */
export const hooksAlong = (
  jobId: number,
  projectId: number,
  path: readonly JobStatus[],
): JobEvent[] => {
  const startedAt = path.indexOf("running");
  return path.map((status, step) => ({
    jobId,
    projectId,
    status,
    name: `job-${jobId}`,
    stage: "test",
    pipelineId: projectId * 10,
    createdAt: at(0),
    ...(startedAt >= 0 && step >= startedAt && { startedAt: at(startedAt), runnerId: 7 }),
    ...(step === path.length - 1 &&
      ["success", "failed", "canceled"].includes(status) && { finishedAt: at(step) }),
    ...(status === "failed" && { failureReason: "script_failure" }),
  }));
};

export interface Delivery {
  /** Every hook of every job, in the order GitLab fired them. */
  readonly inOrder: readonly JobEvent[];
  /** The same hooks shuffled, some delivered more than once. */
  readonly delivered: readonly JobEvent[];
}

/** A few jobs (ids above 2^31 included), their hooks fired in order, then delivered any old way. */
export const deliveryArbitrary = (maxJobs = 4): fc.Arbitrary<Delivery> =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: 2 ** 40 }), { minLength: 1, maxLength: maxJobs })
    .chain((jobIds) =>
      fc.tuple(
        ...jobIds.map((jobId) =>
          fc.constantFrom(...LIFECYCLES).map((path) => hooksAlong(jobId, 5, path)),
        ),
      ),
    )
    .chain((perJob) => {
      const inOrder = perJob.flat();
      const duplicates = fc.array(fc.constantFrom(...inOrder), { maxLength: inOrder.length });
      return duplicates.chain((extra) =>
        fc
          .shuffledSubarray([...inOrder, ...extra], { minLength: inOrder.length + extra.length })
          .map((delivered) => ({ inOrder, delivered })),
      );
    });
