import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { DemandStore } from "@ger/core/types";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import { createTestTable, type TestTable } from "../../../test/support/dynamodb";
import { deliveryArbitrary, hooksAlong } from "../../../test/support/lifecycles";
import {
  DynamoDemandStore,
  InMemoryDemandStore,
  JOB_RETENTION_SECONDS,
  PROJECT_ACTIVITY_WINDOW_SECONDS,
  RETRY_CLAIM_SECONDS,
} from "../src/index";
import { recordNotVisible } from "../src/jobs/not-visible";

const t0 = SUNDAY_MORNING;
const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const [created, pending, running, success] = hooksAlong(3_500_000_001, 9, [
  "created",
  "pending",
  "running",
  "success",
]);

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

/** Both stores must behave the same: the simulator trusts the in-memory one. */
const stores: [string, () => DemandStore][] = [
  ["in memory", () => new InMemoryDemandStore()],
  ["DynamoDB Local", () => new DynamoDemandStore(table.documentClient, table.tableName)],
];

const byId = <T extends { jobId: number }>(jobs: T[]) => jobs.sort((a, b) => a.jobId - b.jobId);

describe.each(stores)("DemandStore contract: %s", (_, makeStore) => {
  // Job ids are unique per test so that the DynamoDB store can share one table.
  let nextJobId = 1;
  const lifecycle = (path: Parameters<typeof hooksAlong>[2]) => hooksAlong(nextJobId++, 9, path);

  it("records a new job and reports it", async () => {
    const store = makeStore();
    const [event] = lifecycle(["pending"]);

    const outcome = await store.recordJobEvent(event!, t0);

    expect(outcome).toMatchObject({
      kind: "recorded",
      record: { jobId: event!.jobId, status: "pending" },
    });
    expect(outcome).not.toHaveProperty("previousStatus");
    expect(await store.listJobs(t0)).toContainEqual(
      expect.objectContaining({ jobId: event!.jobId, status: "pending" }),
    );
  });

  it("moves a job forward and reports the previous status", async () => {
    const store = makeStore();
    const [first, second] = lifecycle(["pending", "running"]);
    await store.recordJobEvent(first!, t0);

    const outcome = await store.recordJobEvent(second!, later(5));

    expect(outcome).toMatchObject({
      kind: "recorded",
      previousStatus: "pending",
      record: { status: "running" },
    });
  });

  it("leaves a job unchanged on a duplicate or a late event", async () => {
    const store = makeStore();
    const [first, second] = lifecycle(["pending", "running"]);
    await store.recordJobEvent(second!, t0);
    const before = await store.listJobs(t0);

    const duplicate = await store.recordJobEvent(second!, later(1));
    const late = await store.recordJobEvent(first!, later(2));

    expect(duplicate).toEqual({ kind: "unchanged", currentStatus: "running" });
    expect(late).toEqual({ kind: "unchanged", currentStatus: "running" });
    expect(await store.listJobs(later(3))).toEqual(before);
  });

  it("replaces the fields of an older snapshot", async () => {
    const store = makeStore();
    const [first, second] = lifecycle(["created", "pending"]);
    await store.recordJobEvent({ ...first!, failureReason: "unknown_failure" }, t0);

    await store.recordJobEvent(second!, later(1));

    const job = (await store.listJobs(later(1))).find(
      (candidate) => candidate.jobId === second!.jobId,
    );
    expect(job).not.toHaveProperty("failureReason");
  });

  it("hides jobs whose retention has passed", async () => {
    const store = makeStore();
    const [done] = lifecycle(["success"]);
    await store.recordJobEvent(done!, t0);

    const jobs = await store.listJobs(later(8 * 24 * 3600));

    expect(jobs.map((job) => job.jobId)).not.toContain(done!.jobId);
  });

  it("lists pending jobs oldest first, and only while they are pending", async () => {
    const store = makeStore();
    const [older] = lifecycle(["pending"]);
    const [newer, newerRunning] = lifecycle(["pending", "running"]);
    await store.recordJobEvent({ ...newer!, createdAt: later(60).toISOString() }, t0);
    await store.recordJobEvent(older!, t0);
    const bothPending = (await store.listPendingJobs(t0)).map((job) => job.jobId);

    await store.recordJobEvent({ ...newerRunning!, createdAt: later(60).toISOString() }, later(90));

    const mine = (ids: number[]) => ids.filter((id) => [older!.jobId, newer!.jobId].includes(id));
    expect(mine(bothPending)).toEqual([older!.jobId, newer!.jobId]);
    expect(mine((await store.listPendingJobs(later(90))).map((job) => job.jobId))).toEqual([
      older!.jobId,
    ]);
  });

  it("lists a job pending from its pending hook on, as annotated since, and no more once it runs", async () => {
    const store = makeStore();
    const [createdEvent, pendingEvent, runningEvent] = lifecycle(["created", "pending", "running"]);
    const jobId = createdEvent!.jobId;
    const listed = async (at: Date) =>
      (await store.listPendingJobs(at)).filter((job) => job.jobId === jobId);
    await store.recordJobEvent(createdEvent!, t0);
    const whileCreated = await listed(t0);
    await store.recordJobEvent(pendingEvent!, later(1));
    await store.annotateJob(jobId, { tags: ["linux"] });
    const annotated = await listed(later(2));
    // Only a failed job has a retry to claim: a claim leaves a pending one where it is.
    const claim = await store.claimJobRetry(jobId, later(2));
    const claimed = await listed(later(2));

    await store.recordJobEvent(runningEvent!, later(3));

    expect(whileCreated).toEqual([]);
    expect(annotated).toEqual([expect.objectContaining({ status: "pending", tags: ["linux"] })]);
    expect(claim).toBe(false);
    expect(claimed).toEqual(annotated);
    expect(await listed(later(3))).toEqual([]);
  });

  it("records a job GitLab answers 404 for as not_visible with its reason: out of demand, kept a week, moved by no hook", async () => {
    const store = makeStore();
    const [pendingEvent, runningEvent] = lifecycle(["pending", "running"]);
    const first = await store.recordJobEvent(pendingEvent!, t0, { tags: ["linux"] });
    if (first.kind !== "recorded") throw new Error("the pending hook was not recorded");

    const outcome = await recordNotVisible(store, first.record, later(1));
    const late = await store.recordJobEvent(runningEvent!, later(2));

    expect(outcome).toMatchObject({
      kind: "recorded",
      previousStatus: "pending",
      record: {
        status: "not_visible",
        closedReason: "gitlab_404",
        tags: ["linux"],
        expiresAt: Math.floor(later(1).getTime() / 1000) + JOB_RETENTION_SECONDS.finished,
      },
    });
    expect(late).toEqual({ kind: "unchanged", currentStatus: "not_visible" });
    const pendingIds = (await store.listPendingJobs(later(2))).map((job) => job.jobId);
    expect(pendingIds).not.toContain(pendingEvent!.jobId);
    expect(
      (await store.listJobs(later(2))).find((job) => job.jobId === pendingEvent!.jobId),
    ).toMatchObject({
      status: "not_visible",
      closedReason: "gitlab_404",
      name: pendingEvent!.name,
    });
  });

  it("keeps the tags the scaler read across later hooks", async () => {
    const store = makeStore();
    const [pendingEvent, runningEvent] = lifecycle(["pending", "running"]);
    await store.recordJobEvent(pendingEvent!, t0);

    await store.annotateJob(pendingEvent!.jobId, { tags: ["linux", "docker"] });
    await store.recordJobEvent(runningEvent!, later(1));
    await store.annotateJob(999_999_999, { tags: ["ghost"] });

    const jobs = await store.listJobs(later(1));
    expect(jobs.find((job) => job.jobId === pendingEvent!.jobId)).toMatchObject({
      status: "running",
      tags: ["linux", "docker"],
    });
    expect(jobs.map((job) => job.jobId)).not.toContain(999_999_999);
  });

  it("writes annotations with the event that records a job, and not with one that changes nothing", async () => {
    const store = makeStore();
    const [pendingEvent, runningEvent] = lifecycle(["pending", "running"]);
    const annotations = { tags: ["linux"], retryOfInterrupted: true };

    const first = await store.recordJobEvent(pendingEvent!, t0, annotations);
    const duplicate = await store.recordJobEvent(pendingEvent!, t0, { tags: ["other"] });
    await store.recordJobEvent(runningEvent!, later(1));

    expect(first).toMatchObject({ kind: "recorded", record: annotations });
    expect(duplicate.kind).toBe("unchanged");
    const job = (await store.listJobs(later(1))).find((c) => c.jobId === pendingEvent!.jobId);
    expect(job).toMatchObject({ status: "running", ...annotations });
  });

  it("grants a job's one retry once, keeps its interruption mark across hooks, and never for an unknown job", async () => {
    const store = makeStore();
    const [runningEvent, failedEvent] = lifecycle(["running", "failed"]);
    const jobId = runningEvent!.jobId;
    await store.recordJobEvent(runningEvent!, t0);
    await store.annotateJob(jobId, { interrupted: true });
    await store.recordJobEvent(failedEvent!, later(1));

    const claims = [
      await store.claimJobRetry(jobId, later(2)),
      await store.claimJobRetry(jobId, later(3)),
    ];

    expect(claims).toEqual([true, false]);
    expect(await store.claimJobRetry(999_999_998, later(3))).toBe(false);
    const job = (await store.listJobs(later(3))).find((candidate) => candidate.jobId === jobId);
    expect(job).toMatchObject({
      status: "failed",
      interrupted: true,
      retryDueSince: later(2).toISOString(),
      retryClaimedAt: later(2).toISOString(),
    });
    expect((await store.listRetriesDue(later(3))).map((owed) => owed.jobId)).toContain(jobId);
  });

  it("grants a claim cut short again once it is older than RETRY_CLAIM_SECONDS, to one racer", async () => {
    const store = makeStore();
    const [failedEvent] = lifecycle(["failed"]);
    const jobId = failedEvent!.jobId;
    await store.recordJobEvent(failedEvent!, t0);
    await store.claimJobRetry(jobId, later(1));

    const fresh = await store.claimJobRetry(jobId, later(1 + RETRY_CLAIM_SECONDS));
    const racers = await Promise.all(
      Array.from({ length: 5 }, () => store.claimJobRetry(jobId, later(2 + RETRY_CLAIM_SECONDS))),
    );

    expect(fresh).toBe(false);
    expect(racers.filter(Boolean)).toHaveLength(1);
    const [owed] = (await store.listRetriesDue(later(3))).filter((job) => job.jobId === jobId);
    // Owed since the first claim, claimed by the last.
    expect(owed).toMatchObject({
      retryDueSince: later(1).toISOString(),
      retryClaimedAt: later(2 + RETRY_CLAIM_SECONDS).toISOString(),
    });
  });

  it("lists the retries owed oldest first, and no longer once settled, made or refused", async () => {
    const store = makeStore();
    const [first, second, third] = [
      lifecycle(["failed"])[0]!,
      lifecycle(["failed"])[0]!,
      lifecycle(["failed"])[0]!,
    ];
    for (const event of [first, second, third]) await store.recordJobEvent(event, t0);
    await store.claimJobRetry(third.jobId, later(1));
    await store.claimJobRetry(first.jobId, later(2));
    await store.claimJobRetry(second.jobId, later(3));
    const ours = async (at: Date) =>
      (await store.listRetriesDue(at))
        .map((job) => job.jobId)
        .filter((jobId) => [first, second, third].some((event) => event.jobId === jobId));
    const before = await ours(later(4));

    await store.settleJobRetry(first.jobId, { retriedAs: 7_000_001 });
    await store.settleJobRetry(second.jobId, {
      retryRefused: "403 Forbidden - Job is not retryable",
    });
    await store.settleJobRetry(999_999_996, { retriedAs: 1 });

    expect(before).toEqual([third.jobId, first.jobId, second.jobId]);
    expect(await ours(later(5))).toEqual([third.jobId]);
    const far = later(10 * RETRY_CLAIM_SECONDS);
    expect(await store.claimJobRetry(first.jobId, far)).toBe(false);
    expect(await store.claimJobRetry(second.jobId, far)).toBe(false);
    const settled = byId(
      (await store.listJobs(later(5))).filter((job) =>
        [first.jobId, second.jobId].includes(job.jobId),
      ),
    );
    expect(settled[0]).toMatchObject({ retriedAs: 7_000_001 });
    expect(settled[1]).toMatchObject({ retryRefused: "403 Forbidden - Job is not retryable" });
    for (const job of settled) {
      expect(job.retryDueSince).toBeUndefined();
      expect(job.retryClaimedAt).toBeUndefined();
    }
  });

  it("remembers active projects, rewriting each at most once a minute", async () => {
    const store = makeStore();
    const projectId = 1_000 + nextJobId++;

    await store.noteProjectActivity(projectId, t0);
    await store.noteProjectActivity(projectId, later(30));
    const afterBurst = await store.listActiveProjects(t0);
    await store.noteProjectActivity(projectId, later(61));
    const afterMinute = await store.listActiveProjects(t0);

    expect(afterBurst).toContainEqual({ projectId, lastJobEventAt: t0.toISOString() });
    expect(afterMinute).toContainEqual({ projectId, lastJobEventAt: later(61).toISOString() });
    expect(await store.listActiveProjects(later(62))).not.toContainEqual(
      expect.objectContaining({ projectId }),
    );
  });
});

describe("DynamoDemandStore", () => {
  it("ends in the in-order state under shuffled, duplicated and concurrent delivery", async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(deliveryArbitrary(3), async ({ inOrder, delivered }) => {
        round += 1;
        // A fresh id space per round keeps rounds apart in the shared table.
        const shift = (event: (typeof inOrder)[number]) => ({
          ...event,
          jobId: event.jobId * 1000 + round,
        });
        const expected = new InMemoryDemandStore();
        for (const event of inOrder) await expected.recordJobEvent(shift(event), t0);
        const store = new DynamoDemandStore(table.documentClient, table.tableName);

        await Promise.all(delivered.map((event) => store.recordJobEvent(shift(event), t0)));

        const ids = new Set(inOrder.map((event) => shift(event).jobId));
        const stored = (await store.listJobs(t0)).filter((job) => ids.has(job.jobId));
        expect(byId(stored)).toEqual(byId(await expected.listJobs(t0)));
      }),
      { numRuns: 40 },
    );
  });

  it("indexes unfinished jobs by status and drops finished ones from the index", async () => {
    const store = new DynamoDemandStore(table.documentClient, table.tableName);
    await store.recordJobEvent(created!, t0);
    await store.recordJobEvent(pending!, later(1));
    const whilePending = await itemOf(created!.jobId);
    await store.recordJobEvent(running!, later(2));
    await store.recordJobEvent(success!, later(3));
    const whenDone = await itemOf(created!.jobId);

    expect(whilePending).toMatchObject({
      kind: "job",
      gsi1pk: "JOBS#pending",
      gsi1sk: `${created!.createdAt}#0000003500000001`,
    });
    expect(whenDone).not.toHaveProperty("gsi1pk");
    expect(whenDone).toMatchObject({
      status: "success",
      expiresAt: Math.floor(later(3).getTime() / 1000) + 7 * 86400,
    });
  });

  it("lets a project's activity expire after the window", async () => {
    const store = new DynamoDemandStore(table.documentClient, table.tableName);

    await store.noteProjectActivity(424242, t0);

    expect(await itemOf(424242, "PROJECT")).toMatchObject({
      expiresAt: Math.floor(t0.getTime() / 1000) + PROJECT_ACTIVITY_WINDOW_SECONDS,
    });
  });
});

const itemOf = async (id: number, kind: "JOB" | "PROJECT" = "JOB") => {
  const key = { pk: `${kind}#${id}`, sk: kind };
  const { Item } = await table.documentClient.send(
    new GetCommand({ TableName: table.tableName, Key: key }),
  );
  return Item;
};
