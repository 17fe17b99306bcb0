import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { DemandStore, JobEvent, JobRecord, JobStatus, PipelineHalt } from "@ger/core/types";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import { createTestTable, type TestTable } from "../../../test/support/dynamodb";
import { DynamoDemandStore, InMemoryDemandStore, JOB_RETENTION_SECONDS } from "../src/index";
import { LOOKAHEAD_STATUSES, PIPELINE_HALT_RETENTION_SECONDS } from "../src/jobs/pipeline-halt";

const t0 = SUNDAY_MORNING;
const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const iso = (seconds: number) => later(seconds).toISOString();
/** What lookahead asks for: since an hour before t0. */
const since = later(-3600);

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const dynamo = () => new DynamoDemandStore(table.documentClient, table.tableName);
/** Both stores must behave the same: the simulator trusts the in-memory one. */
const stores: [string, () => DemandStore][] = [
  ["in memory", () => new InMemoryDemandStore()],
  ["DynamoDB Local", dynamo],
];

/** Pipelines, projects and jobs are unique per test, so that the DynamoDB store shares a table. */
let nextPipeline = 1;
const newPipeline = () => {
  const pipelineId = 7_000_000 + nextPipeline++;
  return { pipelineId, projectId: pipelineId + 1, firstJobId: pipelineId * 1000 };
};

const job = (
  fields: Pick<JobEvent, "jobId" | "status"> & Partial<JobEvent>,
  projectId = 5,
): JobEvent => ({ projectId, name: `job-${fields.jobId}`, stage: "build", ...fields });

const halt = (pipelineId: number, seconds: number, jobId = 1): PipelineHalt => ({
  pipelineId,
  projectId: 5,
  jobId,
  name: "compile",
  stage: "build",
  haltedAt: iso(seconds),
});

describe.each(stores)(
  "DemandStore.listPipelineDemand, notePipelineHalt and liftPipelineHalt: %s",
  (_, makeStore) => {
    it("lists the jobs with a pipeline in LOOKAHEAD_STATUSES created since `since`, oldest first, then by id", async () => {
      const store = makeStore();
      const { pipelineId, firstJobId: id } = newPipeline();
      const inPipeline = (fields: Parameters<typeof job>[0]) => job({ pipelineId, ...fields });
      // One job in each status lookahead reads, made a second apart, recorded newest first.
      const listed = LOOKAHEAD_STATUSES.map((status, i) =>
        inPipeline({ jobId: id + i, status, createdAt: iso(-60 + i) }),
      );
      for (const event of [...listed].reverse()) await store.recordJobEvent(event, t0);
      // Made at the same moment: by id, as a number (an 11-digit one after a 10-digit one).
      const tied = [id * 10 + 1, id + 99].map((jobId) =>
        inPipeline({ jobId, status: "created", createdAt: iso(-30) }),
      );
      for (const event of tied) await store.recordJobEvent(event, t0);
      // Without a createdAt, the index files a job under its hook's receipt.
      const undated = inPipeline({ jobId: id + 200, status: "created" });
      await store.recordJobEvent(undated, later(-10));
      // Not read by lookahead: before `since`, no pipeline, finished, or unfinished in other statuses.
      const unread = [
        inPipeline({ jobId: id + 300, status: "created", createdAt: iso(-3601) }),
        job({ jobId: id + 301, status: "created", createdAt: iso(-20) }),
        inPipeline({ jobId: id + 302, status: "success", createdAt: iso(-20) }),
        inPipeline({ jobId: id + 303, status: "canceled", createdAt: iso(-20) }),
        inPipeline({ jobId: id + 304, status: "failed", createdAt: iso(-20) }),
        inPipeline({ jobId: id + 305, status: "waiting_for_callback", createdAt: iso(-20) }),
        inPipeline({ jobId: id + 306, status: "canceling", createdAt: iso(-20) }),
        inPipeline({ jobId: id + 307, status: "not_visible", createdAt: iso(-20) }),
      ];
      for (const event of unread) await store.recordJobEvent(event, t0);

      const { jobs } = await store.listPipelineDemand(t0, since);

      const ours = new Set([...listed, ...tied, undated, ...unread].map((event) => event.jobId));
      expect(jobs.filter((record) => ours.has(record.jobId)).map((record) => record.jobId)).toEqual(
        [...listed.map((event) => event.jobId), id + 99, id * 10 + 1, id + 200],
      );
      expect(jobs.find((record) => record.jobId === id + 3)).toMatchObject({
        pipelineId,
        status: LOOKAHEAD_STATUSES[3],
        name: `job-${id + 3}`,
        stage: "build",
        createdAt: iso(-57),
      });
      for (const record of jobs) expect(record).not.toHaveProperty("gsi1pk");
    });

    it("follows a job through its statuses: listed once, as it is now, and no more once finished", async () => {
      const store = makeStore();
      const { pipelineId, firstJobId: jobId } = newPipeline();
      const at = (status: JobStatus) => job({ jobId, pipelineId, status, createdAt: iso(-5) });
      const mine = async (now: Date) =>
        (await store.listPipelineDemand(now, since)).jobs.filter(
          (record) => record.jobId === jobId,
        );

      await store.recordJobEvent(at("created"), t0);
      const created = await mine(t0);
      await store.recordJobEvent(at("pending"), later(1));
      await store.annotateJob(jobId, { tags: ["linux"] });
      const pending = await mine(later(1));
      await store.recordJobEvent(at("running"), later(2));
      const running = await mine(later(2));
      await store.recordJobEvent(at("success"), later(3));

      expect(created.map((record) => record.status)).toEqual(["created"]);
      expect(pending).toEqual([expect.objectContaining({ status: "pending", tags: ["linux"] })]);
      expect(running.map((record) => record.status)).toEqual(["running"]);
      expect(await mine(later(3))).toEqual([]);
    });

    it("does not list a job whose retention has passed", async () => {
      const store = makeStore();
      const { pipelineId, firstJobId: jobId } = newPipeline();
      const retention = JOB_RETENTION_SECONDS.unfinished;
      await store.recordJobEvent(job({ jobId, pipelineId, status: "created" }), t0);
      await store.recordJobEvent(
        job({ jobId: jobId + 1, pipelineId, status: "created" }),
        later(10),
      );
      const ids = async (now: Date) =>
        (await store.listPipelineDemand(now, since)).jobs
          .map((record) => record.jobId)
          .filter((id) => id === jobId || id === jobId + 1);

      expect(await ids(later(retention - 1))).toEqual([jobId, jobId + 1]);
      expect(await ids(later(retention))).toEqual([jobId + 1]);
    });

    it("lists the halts noted since `since`, oldest first, each pipeline's latest", async () => {
      const store = makeStore();
      const [early, first, second, same] = [
        newPipeline(),
        newPipeline(),
        newPipeline(),
        newPipeline(),
      ];
      await store.notePipelineHalt(halt(early.pipelineId, -3601));
      await store.notePipelineHalt(halt(second.pipelineId, 10));
      await store.notePipelineHalt(halt(first.pipelineId, 5));
      // Noted at the same moment: by pipeline id.
      await store.notePipelineHalt(halt(same.pipelineId, 5));
      const ours = new Set([early, first, second, same].map((pipeline) => pipeline.pipelineId));

      const { halts } = await store.listPipelineDemand(later(20), since);

      expect(halts.filter((noted) => ours.has(noted.pipelineId))).toEqual([
        halt(first.pipelineId, 5),
        halt(same.pipelineId, 5),
        halt(second.pipelineId, 10),
      ]);
    });

    it("replaces a halt with a later one of the same pipeline, never with an earlier one, and a duplicate changes nothing", async () => {
      const store = makeStore();
      const { pipelineId } = newPipeline();
      const retryFailedToo: PipelineHalt = {
        pipelineId,
        projectId: 5,
        jobId: 3,
        haltedAt: iso(30),
      };
      const mine = async (from: Date) =>
        (await store.listPipelineDemand(later(60), from)).halts.filter(
          (noted) => noted.pipelineId === pipelineId,
        );

      await store.notePipelineHalt(halt(pipelineId, 20, 1));
      await store.notePipelineHalt(retryFailedToo);
      await store.notePipelineHalt(retryFailedToo);
      // Noted late (hooks may arrive in any order): the later halt stays.
      await store.notePipelineHalt(halt(pipelineId, 25, 2));

      // The later halt lacks the name and stage of the earlier one: a replacement, not a merge.
      expect(await mine(since)).toEqual([retryFailedToo]);
      // Moved to its new place in the index: not listed from between the two.
      expect(await mine(later(21))).toEqual([retryFailedToo]);
      expect(await mine(later(31))).toEqual([]);
    });

    it("lifts a halt for a later job of its name and stage only, keeps an older halt out after, lists a newer one", async () => {
      const store = makeStore();
      const { pipelineId } = newPipeline();
      const mine = async () =>
        (await store.listPipelineDemand(later(60), since)).halts.filter(
          (noted) => noted.pipelineId === pipelineId,
        );
      const retry = { pipelineId, jobId: 5, name: "compile", stage: "build" };
      await store.notePipelineHalt(halt(pipelineId, 20, 4));

      // Not its retry: another name, another stage, an earlier job, another pipeline.
      await store.liftPipelineHalt({ ...retry, name: "lint" });
      await store.liftPipelineHalt({ ...retry, stage: "test" });
      await store.liftPipelineHalt({ ...retry, jobId: 3 });
      await store.liftPipelineHalt({ ...retry, pipelineId: pipelineId + 1 });
      expect(await mine()).toMatchObject([{ jobId: 4 }]);

      await store.liftPipelineHalt(retry);
      await store.liftPipelineHalt(retry);
      expect(await mine()).toEqual([]);
      // A hook of the original failure delivered late, older than the lifted halt: still lifted.
      await store.notePipelineHalt(halt(pipelineId, 19, 4));
      expect(await mine()).toEqual([]);
      // The retry failed too: the pipeline halts again.
      await store.notePipelineHalt(halt(pipelineId, 30, 6));
      expect(await mine()).toMatchObject([{ jobId: 6 }]);
    });

    it("forgets a halt PIPELINE_HALT_RETENTION_SECONDS after it was noted", async () => {
      const store = makeStore();
      const [older, newer] = [newPipeline(), newPipeline()];
      await store.notePipelineHalt(halt(older.pipelineId, 0));
      await store.notePipelineHalt(halt(newer.pipelineId, 1));
      const mine = async (now: Date) =>
        (await store.listPipelineDemand(now, since)).halts
          .map((noted) => noted.pipelineId)
          .filter((id) => id === older.pipelineId || id === newer.pipelineId);

      expect(await mine(later(PIPELINE_HALT_RETENTION_SECONDS - 1))).toEqual([
        older.pipelineId,
        newer.pipelineId,
      ]);
      expect(await mine(later(PIPELINE_HALT_RETENTION_SECONDS))).toEqual([newer.pipelineId]);
      expect(await mine(later(PIPELINE_HALT_RETENTION_SECONDS + 1))).toEqual([]);
    });
  },
);

describe("DynamoDemandStore's pipeline halts", () => {
  it("keeps one item per pipeline, indexed by when it was noted, expiring after the retention", async () => {
    const store = dynamo();
    const { pipelineId } = newPipeline();

    await store.notePipelineHalt(halt(pipelineId, 0));

    const { Item } = await table.documentClient.send(
      new GetCommand({
        TableName: table.tableName,
        Key: { pk: `PIPELINE#${pipelineId}`, sk: "PIPELINE" },
      }),
    );
    expect(Item).toEqual({
      pk: `PIPELINE#${pipelineId}`,
      sk: "PIPELINE",
      kind: "pipeline",
      ...halt(pipelineId, 0),
      gsi1pk: "PIPELINE_HALTS",
      gsi1sk: `${iso(0)}#${String(pipelineId).padStart(16, "0")}`,
      expiresAt: Math.floor(t0.getTime() / 1000) + PIPELINE_HALT_RETENTION_SECONDS,
    });
  });
});

/** One step of a store's life, as the webhook and the scaler take them. */
type Op =
  | {
      readonly kind: "event";
      readonly job: number;
      readonly status: JobStatus;
      readonly created?: number;
      readonly pipeline: boolean;
      readonly at: number;
    }
  | { readonly kind: "annotate"; readonly job: number }
  | { readonly kind: "halt"; readonly pipeline: number; readonly at: number; readonly job: number }
  | { readonly kind: "list"; readonly since: number; readonly now: number };

const STATUSES: JobStatus[] = [
  ...LOOKAHEAD_STATUSES,
  "waiting_for_callback",
  "canceling",
  "success",
  "failed",
  "canceled",
];
/** On a ten-minute grid: jobs made, hooks received and halts noted at the same moment are common. */
const moment = fc.integer({ min: -12, max: 1 }).map((step) => step * 600);
/** Steps on `jobs` jobs; lists at one of `nows` (seconds from t0). */
const op = (jobs: number, nows: readonly number[]): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("event" as const),
        job: fc.nat({ max: jobs - 1 }),
        status: fc.constantFrom(...STATUSES),
        created: fc.option(moment, { nil: undefined }),
        pipeline: fc.boolean(),
        at: moment,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("annotate" as const), job: fc.nat({ max: jobs }) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("halt" as const),
        pipeline: fc.nat({ max: 2 }),
        at: moment,
        job: fc.nat({ max: 9 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("list" as const),
        since: moment,
        now: fc.constantFrom(...nows),
      }),
    },
  );

/** Ids of one property run: its own, so that runs share DynamoDB Local's table. */
const idsOf = (space: number) => ({
  jobId: (job: number) => space * 1_000 + job,
  pipelineId: (pipeline: number) => space * 100 + pipeline,
  mine: (demand: { jobs: readonly JobRecord[]; halts: readonly PipelineHalt[] }) => ({
    jobs: demand.jobs.filter((record) => Math.floor(record.jobId / 1_000) === space),
    halts: demand.halts.filter((noted) => Math.floor(noted.pipelineId / 100) === space),
  }),
});

/** Plays one step on `store`; a list's answer (its own ids only) is returned. */
const playStep = async (store: DemandStore, step: Op, space: number) => {
  const ids = idsOf(space);
  if (step.kind === "event")
    await store.recordJobEvent(
      job({
        jobId: ids.jobId(step.job),
        status: step.status,
        ...(step.pipeline && { pipelineId: ids.pipelineId(step.job % 3) }),
        ...(step.created !== undefined && { createdAt: iso(step.created) }),
      }),
      later(step.at),
    );
  else if (step.kind === "annotate")
    await store.annotateJob(ids.jobId(step.job), { tags: [`t${step.job}`] });
  else if (step.kind === "halt")
    await store.notePipelineHalt(halt(ids.pipelineId(step.pipeline), step.at, step.job));
  else return ids.mine(await store.listPipelineDemand(later(step.now), later(step.since)));
  return undefined;
};

/** What the index would hold, from the records themselves: the reference the index is held to. */
const scanned = (
  records: Iterable<JobRecord>,
  halts: Iterable<PipelineHalt>,
  now: Date,
  from: Date,
) => {
  const key = (at: string, id: number) => `${at}#${String(id).padStart(16, "0")}`;
  const order =
    <T>(keyOf: (item: T) => string) =>
    (a: T, b: T) =>
      keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const jobKey = (record: JobRecord) => key(record.createdAt ?? record.updatedAt, record.jobId);
  const haltKey = (noted: PipelineHalt) => key(noted.haltedAt, noted.pipelineId);
  const lookahead: readonly JobStatus[] = LOOKAHEAD_STATUSES;
  return {
    jobs: [...records]
      .filter(
        (record) =>
          lookahead.includes(record.status) &&
          record.pipelineId !== undefined &&
          jobKey(record) >= from.toISOString() &&
          record.expiresAt > nowSeconds,
      )
      .sort(order(jobKey)),
    halts: [...halts]
      .filter(
        (noted) =>
          haltKey(noted) >= from.toISOString() &&
          Math.floor(Date.parse(noted.haltedAt) / 1000) + PIPELINE_HALT_RETENTION_SECONDS >
            nowSeconds,
      )
      .sort(order(haltKey)),
  };
};

describe("InMemoryDemandStore's lookahead indexes", () => {
  it("answer as a scan of every record and halt would, whatever the writes", async () => {
    // Mostly now; now and then a day or a month later, when halts and then jobs expire.
    const nows = [0, 0, 0, 600, 600, 600, PIPELINE_HALT_RETENTION_SECONDS, 31 * 24 * 3600];
    const ops = fc.array(op(12, nows), { minLength: 20, maxLength: 300, size: "large" });
    await fc.assert(
      fc.asyncProperty(ops, async (ops) => {
        const store = new InMemoryDemandStore();
        const records = new Map<number, JobRecord>();
        const halts = new Map<number, PipelineHalt>();
        // The clock only moves forward: an item the store forgot as expired stays forgotten.
        let clock = 0;
        for (const step of ops) {
          if (step.kind === "list") {
            clock = Math.max(clock, step.now);
            const at = { ...step, now: clock };
            const expected = scanned(
              records.values(),
              halts.values(),
              later(clock),
              later(at.since),
            );
            expect(await playStep(store, at, 0)).toEqual(expected);
            continue;
          }
          await playStep(store, step, 0);
          if (step.kind === "halt") {
            const noted = halt(step.pipeline, step.at, step.job);
            const known = halts.get(noted.pipelineId);
            if (!known || known.haltedAt <= noted.haltedAt) halts.set(noted.pipelineId, noted);
          } else {
            const record = store.peek(step.job);
            if (record) records.set(step.job, record);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("Both stores' pipeline demand", () => {
  it("is the same after the same writes", async () => {
    // Lists that expire nothing until the last: DynamoDB Local expires items on the real clock.
    const last: Op[] = [
      { kind: "list", since: -7200, now: 600 },
      { kind: "list", since: -7200, now: PIPELINE_HALT_RETENTION_SECONDS },
    ];
    let space = 900;
    await fc.assert(
      fc.asyncProperty(fc.array(op(6, [0, 600]), { minLength: 5, maxLength: 25 }), async (ops) => {
        space += 1;
        const answers = async (store: DemandStore) => {
          const all = [];
          for (const step of [...ops, ...last]) all.push(await playStep(store, step, space));
          return all;
        };
        expect(await answers(dynamo())).toEqual(await answers(new InMemoryDemandStore()));
      }),
      { numRuns: 25 },
    );
  });
});
