import type { JobRecord } from "@ger/core/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deliveryArbitrary, hooksAlong } from "../../../test/support/lifecycles";
import { applyJobEvent, InMemoryDemandStore, JOB_RETENTION_SECONDS } from "../src/index";
import { RecentlyNotedProjects } from "../src/jobs/project-activity";

const receivedAt = new Date("2026-01-01T12:30:00Z");
const [created, pending, running, success] = hooksAlong(1, 5, [
  "created",
  "pending",
  "running",
  "success",
]);

const apply = (events: readonly NonNullable<typeof created>[]) => {
  let record: JobRecord | undefined;
  for (const event of events) {
    const outcome = applyJobEvent(record, event, receivedAt);
    if (outcome.kind === "recorded") record = outcome.record;
  }
  return record;
};

describe("applyJobEvent", () => {
  it("records the first event of a job", () => {
    const outcome = applyJobEvent(undefined, pending!, receivedAt);

    expect(outcome).toMatchObject({ kind: "recorded", record: { jobId: 1, status: "pending" } });
    expect(outcome).not.toHaveProperty("previousStatus");
  });

  it("moves a job forward and says where it came from", () => {
    const outcome = applyJobEvent(apply([pending!]), running!, receivedAt);

    expect(outcome).toMatchObject({
      kind: "recorded",
      previousStatus: "pending",
      record: { status: "running" },
    });
  });

  it("changes nothing on a duplicate", () => {
    expect(applyJobEvent(apply([running!]), running!, receivedAt)).toEqual({
      kind: "unchanged",
      currentStatus: "running",
    });
  });

  it("never lets a late pending overwrite a later status", () => {
    for (const later of [running!, success!]) {
      expect(applyJobEvent(apply([later]), pending!, receivedAt)).toEqual({
        kind: "unchanged",
        currentStatus: later.status,
      });
    }
  });

  it("keeps finished jobs for a week and unfinished ones for a month", () => {
    const now = receivedAt.getTime() / 1000;

    expect(apply([success!])?.expiresAt).toBe(now + JOB_RETENTION_SECONDS.finished);
    expect(apply([pending!])?.expiresAt).toBe(now + JOB_RETENTION_SECONDS.unfinished);
  });

  it("ranks not_visible like a finished status: kept a week, and no later hook moves it", () => {
    const notVisible = apply([pending!, { ...pending!, status: "not_visible" }]);

    expect(notVisible?.expiresAt).toBe(
      receivedAt.getTime() / 1000 + JOB_RETENTION_SECONDS.finished,
    );
    for (const later of [created!, pending!, running!, success!]) {
      expect(applyJobEvent(notVisible, later, receivedAt)).toEqual({
        kind: "unchanged",
        currentStatus: "not_visible",
      });
    }
  });

  it("replaces the job's fields with the newer snapshot, dropping what it no longer says", () => {
    const withReason = { ...created!, failureReason: "unknown_failure" };

    expect(apply([withReason, pending!])).not.toHaveProperty("failureReason");
  });

  it("ends in the in-order state whatever the order and duplication of delivery", async () => {
    await fc.assert(
      fc.asyncProperty(deliveryArbitrary(), async ({ inOrder, delivered }) => {
        const expected = new InMemoryDemandStore();
        const actual = new InMemoryDemandStore();
        for (const event of inOrder) await expected.recordJobEvent(event, receivedAt);
        for (const event of delivered) await actual.recordJobEvent(event, receivedAt);

        const byId = (jobs: JobRecord[]) => jobs.sort((a, b) => a.jobId - b.jobId);
        expect(byId(await actual.listJobs(receivedAt))).toEqual(
          byId(await expected.listJobs(receivedAt)),
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe("RecentlyNotedProjects", () => {
  it("is fresh for a minute after a project is remembered", () => {
    const recent = new RecentlyNotedProjects();
    const t0 = new Date("2026-01-01T00:00:00Z");

    recent.remember(7, t0);

    expect(recent.isFresh(7, new Date(t0.getTime() + 59_000))).toBe(true);
    expect(recent.isFresh(7, new Date(t0.getTime() + 60_000))).toBe(false);
    expect(recent.isFresh(8, t0)).toBe(false);
  });

  it("forgets everything rather than grow past its bound", () => {
    const recent = new RecentlyNotedProjects(2);
    const t0 = new Date("2026-01-01T00:00:00Z");

    recent.remember(1, t0);
    recent.remember(2, t0);
    recent.remember(3, t0);

    expect([recent.isFresh(1, t0), recent.isFresh(2, t0), recent.isFresh(3, t0)]).toEqual([
      false,
      false,
      true,
    ]);
  });
});
