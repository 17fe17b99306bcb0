import { createHash } from "node:crypto";
import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { DurationKey, JobDurations } from "@ger/core/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import { createTestTable, type TestTable } from "../../../test/support/dynamodb";
import { durationKey } from "../src/adapters/dynamodb/keys";
import {
  DURATION_RETENTION_SECONDS,
  DURATION_SAMPLES,
  DynamoJobDurations,
  durationKeyOf,
  historyName,
  InMemoryJobDurations,
  TABLE_KEYS,
} from "../src/index";

const t0 = SUNDAY_MORNING;
const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

/** Never waits: the tests count the backoffs instead. */
const noBackoff = async () => {};
const dynamo = (client: DynamoDBDocumentClient = table.documentClient) =>
  new DynamoJobDurations(client, table.tableName, { backoff: noBackoff });
/** Both adapters must behave the same: the simulator trusts the in-memory one. */
const adapters: [string, () => JobDurations][] = [
  ["in memory", () => new InMemoryJobDurations()],
  ["DynamoDB Local", () => dynamo()],
];

/** Projects are unique per test, so that the DynamoDB adapter shares a table. */
let nextProject = 1;
const newProject = () => 9_000_000 + nextProject++;

/** The history `recentDurations` answers for one key, or undefined when it has none. */
const historyOf = async (durations: JobDurations, key: DurationKey, now = t0) =>
  (await durations.recentDurations([key], now)).get(durationKeyOf(key));

/** Records each of `seconds` in turn, a second apart from `start`. */
const recordAll = async (
  durations: JobDurations,
  key: DurationKey,
  seconds: readonly number[],
  start = t0,
) => {
  for (const [i, value] of seconds.entries())
    await durations.recordDuration(key, value, new Date(start.getTime() + i * 1000));
};

describe("historyName and durationKeyOf", () => {
  it("strips a parallel job's ' i/n' suffix only", () => {
    expect(historyName("test 1/3")).toBe("test");
    expect(historyName("test 12/20")).toBe("test");
    expect(historyName("test")).toBe("test");
    // Not a parallel suffix: no space, not at the end, not digits.
    expect(historyName("test1/3")).toBe("test1/3");
    expect(historyName("test 1/3 again")).toBe("test 1/3 again");
    expect(historyName("test a/b")).toBe("test a/b");
    expect(durationKeyOf({ projectId: 5, name: "rspec 2/4" })).toBe("5#rspec");
  });
});

describe.each(adapters)("JobDurations: %s", (_, makeDurations) => {
  it("has no samples for a name never recorded, nor for no keys", async () => {
    const durations = makeDurations();
    const projectId = newProject();
    await durations.recordDuration({ projectId, name: "build" }, 30, t0);

    expect(await historyOf(durations, { projectId, name: "never-ran" })).toBeUndefined();
    expect(await historyOf(durations, { projectId: newProject(), name: "build" })).toBeUndefined();
    expect((await durations.recentDurations([], t0)).size).toBe(0);
  });

  it("answers by durationKeyOf, per project and name: no project shares another's history", async () => {
    const durations = makeDurations();
    const [mine, theirs] = [newProject(), newProject()];
    await durations.recordDuration({ projectId: mine, name: "build" }, 30, t0);
    await durations.recordDuration({ projectId: mine, name: "test" }, 45.5, later(1));
    await durations.recordDuration({ projectId: theirs, name: "build" }, 600, later(2));

    const answer = await durations.recentDurations(
      [
        { projectId: mine, name: "build" },
        { projectId: mine, name: "test" },
        { projectId: theirs, name: "build" },
        { projectId: theirs, name: "test" },
      ],
      later(3),
    );

    expect(Object.fromEntries(answer)).toEqual({
      [`${mine}#build`]: [30],
      [`${mine}#test`]: [45.5],
      [`${theirs}#build`]: [600],
    });
  });

  it(`keeps the newest DURATION_SAMPLES (${DURATION_SAMPLES}) samples, newest first`, async () => {
    const durations = makeDurations();
    const key = { projectId: newProject(), name: "compile" };
    const recorded = Array.from({ length: DURATION_SAMPLES + 5 }, (_, i) => 100 + i);
    await recordAll(durations, key, recorded);

    const kept = await historyOf(durations, key, later(60));

    expect(kept).toHaveLength(DURATION_SAMPLES);
    expect(kept).toEqual(recorded.slice(-DURATION_SAMPLES).reverse());
  });

  it("keeps fewer samples as they come, newest first, fractions and zero included", async () => {
    const durations = makeDurations();
    const key = { projectId: newProject(), name: "lint" };
    await recordAll(durations, key, [12.345679, 0, 7]);

    expect(await historyOf(durations, key, later(10))).toEqual([7, 0, 12.345679]);
  });

  it("ignores a duration that is not a finite, non-negative number", async () => {
    const durations = makeDurations();
    const fresh = { projectId: newProject(), name: "garbage" };
    const known = { projectId: newProject(), name: "garbage" };
    await durations.recordDuration(known, 42, t0);
    for (const seconds of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1]) {
      await durations.recordDuration(fresh, seconds, later(1));
      await durations.recordDuration(known, seconds, later(1));
    }

    expect(await historyOf(durations, fresh, later(2))).toBeUndefined();
    expect(await historyOf(durations, known, later(2))).toEqual([42]);
  });

  it("gives the parallel jobs `test 1/3` … `test 3/3` one history with `test`", async () => {
    const durations = makeDurations();
    const projectId = newProject();
    await durations.recordDuration({ projectId, name: "test 1/3" }, 10, t0);
    await durations.recordDuration({ projectId, name: "test 2/3" }, 20, later(1));
    await durations.recordDuration({ projectId, name: "test" }, 30, later(2));
    await durations.recordDuration({ projectId, name: "test 3/3" }, 40, later(3));

    const answer = await durations.recentDurations(
      [
        { projectId, name: "test 1/3" },
        { projectId, name: "test 2/3" },
        { projectId, name: "test" },
      ],
      later(4),
    );

    // One entry, under the history's key, whichever of its names were asked.
    expect([...answer]).toEqual([[`${projectId}#test`, [40, 30, 20, 10]]]);
    expect(await historyOf(durations, { projectId, name: "test 9/9" }, later(4))).toEqual([
      40, 30, 20, 10,
    ]);
    expect(await historyOf(durations, { projectId, name: "test1/3" }, later(4))).toBeUndefined();
  });

  it.each([
    ["2,000 ASCII characters", "x".repeat(2000)],
    ["2,000 multi-byte characters", "日本語のジョブ".repeat(286)],
    ["2,000 emoji (surrogate pairs)", "🚀".repeat(2000)],
    ["a lone surrogate", "deploy \uD800 now"],
    ["exactly 200 UTF-8 bytes", "é".repeat(100)],
    ["201 UTF-8 bytes", `${"é".repeat(100)}x`],
  ])("keeps the history of a job named with %s", async (_, name) => {
    const durations = makeDurations();
    const projectId = newProject();
    await durations.recordDuration({ projectId, name }, 11, t0);
    await durations.recordDuration({ projectId, name: `${name} 2/2` }, 22, later(1));

    const answer = await durations.recentDurations([{ projectId, name }], later(2));

    expect([...answer]).toEqual([[`${projectId}#${name}`, [22, 11]]]);
  });

  it("does not mix long names that differ only at their end, nor only in one code point", async () => {
    const durations = makeDurations();
    const projectId = newProject();
    const prefix = "y".repeat(2000);
    const names = [`${prefix}a`, `${prefix}b`, `${"é".repeat(150)}`, `${"é".repeat(149)}e`];
    for (const [i, name] of names.entries())
      await durations.recordDuration({ projectId, name }, i + 1, later(i));

    const answer = await durations.recentDurations(
      names.map((name) => ({ projectId, name })),
      later(10),
    );

    expect(names.map((name) => answer.get(`${projectId}#${name}`))).toEqual([[1], [2], [3], [4]]);
  });

  // A long name is keyed by its SHA-256 (base64url), which is itself a valid short job name.
  it("does not mix a long name's history with that of a job named as the long name's hash", async () => {
    const durations = makeDurations();
    const projectId = newProject();
    const long = "z".repeat(300);
    const hashName = createHash("sha256").update(long, "utf8").digest("base64url");
    await durations.recordDuration({ projectId, name: long }, 1, t0);
    await durations.recordDuration({ projectId, name: hashName }, 2, later(1));

    const answer = await durations.recentDurations(
      [
        { projectId, name: long },
        { projectId, name: hashName },
      ],
      later(2),
    );

    expect(answer.get(`${projectId}#${long}`)).toEqual([1]);
    expect(answer.get(`${projectId}#${hashName}`)).toEqual([2]);
  });

  // Hashed as UTF-8, every lone surrogate would become U+FFFD: these two would share one item.
  it("does not mix names that differ only in a lone surrogate", async () => {
    const durations = makeDurations();
    const projectId = newProject();
    const [high, low] = ["deploy \uD800", "deploy \uDC00"];
    await durations.recordDuration({ projectId, name: high }, 1, t0);
    await durations.recordDuration({ projectId, name: low }, 2, later(1));

    const answer = await durations.recentDurations(
      [
        { projectId, name: high },
        { projectId, name: low },
      ],
      later(2),
    );

    expect(answer.get(`${projectId}#${high}`)).toEqual([1]);
    expect(answer.get(`${projectId}#${low}`)).toEqual([2]);
  });

  it("answers more than 100 keys at once (BatchGetItem reads 100 a call)", async () => {
    const durations = makeDurations();
    const projectId = newProject();
    const recorded = Array.from({ length: 250 }, (_, i) => ({ projectId, name: `job-${i}` }));
    // In parallel, 25 at a time: each key is its own item, so no write races another.
    for (let i = 0; i < recorded.length; i += 25)
      await Promise.all(
        recorded
          .slice(i, i + 25)
          .map((key, j) => durations.recordDuration(key, i + j, later(i + j))),
      );
    const unknown = Array.from({ length: 60 }, (_, i) => ({ projectId, name: `never-${i}` }));
    // The same history asked more than once (BatchGetItem refuses duplicate keys).
    const repeated = [recorded[7]!, { projectId, name: "job-7 1/2" }, { projectId, name: "job-7" }];

    const answer = await durations.recentDurations(
      [...recorded, ...unknown, ...repeated],
      later(400),
    );

    expect(answer.size).toBe(recorded.length);
    for (const [i, key] of recorded.entries()) expect(answer.get(durationKeyOf(key))).toEqual([i]);
  });

  it("forgets a history DURATION_RETENTION_SECONDS (30 days) after its last sample", async () => {
    const durations = makeDurations();
    const key = { projectId: newProject(), name: "nightly" };
    await durations.recordDuration(key, 120, t0);
    await durations.recordDuration(key, 130, later(3600));
    const lastAt = later(3600);
    const expiresAt = new Date(lastAt.getTime() + DURATION_RETENTION_SECONDS * 1000);

    // Measured from the newest sample, not the first.
    expect(await historyOf(durations, key, later(DURATION_RETENTION_SECONDS))).toEqual([130, 120]);
    expect(await historyOf(durations, key, new Date(expiresAt.getTime() - 1000))).toEqual([
      130, 120,
    ]);
    expect(await historyOf(durations, key, expiresAt)).toBeUndefined();
    expect(await historyOf(durations, key, later(400 * 24 * 3600))).toBeUndefined();
  });

  it("starts an expired history again: its old samples are not kept", async () => {
    const durations = makeDurations();
    const key = { projectId: newProject(), name: "monthly" };
    await recordAll(durations, key, [1, 2, 3]);
    const afterExpiry = later(2 + DURATION_RETENTION_SECONDS);
    await durations.recordDuration(key, 4, afterExpiry);
    // Just before the last sample's retention ends, both would still be kept.
    await durations.recordDuration({ ...key, name: "weekly" }, 5, t0);
    await durations.recordDuration(
      { ...key, name: "weekly" },
      6,
      later(DURATION_RETENTION_SECONDS - 1),
    );

    expect(await historyOf(durations, key, afterExpiry)).toEqual([4]);
    expect(
      await historyOf(durations, { ...key, name: "weekly" }, later(DURATION_RETENTION_SECONDS)),
    ).toEqual([6, 5]);
  });

  it("keeps both of two concurrent records of one job", async () => {
    const durations = makeDurations();
    const key = { projectId: newProject(), name: "race" };

    await Promise.all([
      durations.recordDuration(key, 1, t0),
      durations.recordDuration({ ...key, name: "race 1/2" }, 2, t0),
    ]);

    expect([...((await historyOf(durations, key, later(1))) ?? [])].sort()).toEqual([1, 2]);
  });

  it("under many concurrent records of one job, keeps at least two, each once, none invented", async () => {
    // The port promises best effort only: a write that loses its race twice drops its sample.
    const durations = makeDurations();
    const key = { projectId: newProject(), name: "stampede" };
    const recorded = [1, 2, 3, 4, 5, 6];
    await durations.recordDuration({ ...key, name: "other" }, 99, t0);

    await Promise.all(recorded.map((seconds) => durations.recordDuration(key, seconds, t0)));

    const kept = (await historyOf(durations, key, later(1))) ?? [];
    expect([...kept].sort()).toEqual(recorded);
    expect(await historyOf(durations, { ...key, name: "other" }, later(1))).toEqual([99]);
  });
});

/** A document client that records each BatchGetItem's keys and may leave some unprocessed. */
const spyingClient = (
  leaveUnprocessed: (call: number, keys: readonly Record<string, unknown>[]) => number = () => 0,
) => {
  const batchSizes: number[] = [];
  const client = {
    send: async (command: unknown) => {
      if (!(command instanceof BatchGetCommand))
        return table.documentClient.send(command as GetCommand);
      const request = command.input.RequestItems?.[table.tableName];
      const keys = request?.Keys ?? [];
      const call = batchSizes.push(keys.length);
      const left = leaveUnprocessed(call, keys);
      const asked = keys.slice(0, keys.length - left);
      const result =
        asked.length === 0
          ? { Responses: { [table.tableName]: [] } }
          : await table.documentClient.send(
              new BatchGetCommand({
                RequestItems: { [table.tableName]: { ...request, Keys: asked } },
              }),
            );
      return {
        ...result,
        ...(left > 0 && {
          UnprocessedKeys: { [table.tableName]: { ...request, Keys: keys.slice(asked.length) } },
        }),
      };
    },
  };
  return { client: client as unknown as DynamoDBDocumentClient, batchSizes };
};

describe("DynamoJobDurations on DynamoDB Local", () => {
  const itemOf = async (key: DurationKey) =>
    (
      await table.documentClient.send(
        new GetCommand({
          TableName: table.tableName,
          Key: durationKey(key.projectId, historyName(key.name)),
          ConsistentRead: true,
        }),
      )
    ).Item;

  it("sets the item's TTL attribute to the last sample's time plus 30 days, in epoch seconds", async () => {
    const durations = dynamo();
    const key = { projectId: newProject(), name: "ttl 1/2" };
    // Not on a whole second: the TTL is floored, as DynamoDB's TTL reads epoch seconds.
    const first = new Date(t0.getTime() + 700);
    const last = new Date(t0.getTime() + 90_000_250);
    await durations.recordDuration(key, 5, first);
    const afterFirst = await itemOf(key);
    await durations.recordDuration(key, 6, last);

    const item = await itemOf(key);

    expect(afterFirst?.[TABLE_KEYS.ttlAttribute]).toBe(
      epochSeconds(t0) + DURATION_RETENTION_SECONDS,
    );
    expect(item).toMatchObject({
      [TABLE_KEYS.ttlAttribute]: epochSeconds(last) + DURATION_RETENTION_SECONDS,
      kind: "duration",
      projectId: key.projectId,
      name: "ttl",
      samples: [6, 5],
    });
    expect(Number.isInteger(item?.[TABLE_KEYS.ttlAttribute])).toBe(true);
    // Not in the index: the scaler's queries never see it.
    expect(item).not.toHaveProperty(TABLE_KEYS.gsi1.partitionKey);
  });

  it("keys a long name by its hash, inside DynamoDB's 2048-byte partition key", async () => {
    const key = { projectId: newProject(), name: "名".repeat(2000) };
    await dynamo().recordDuration(key, 3, t0);

    const { pk } = durationKey(key.projectId, key.name);

    expect(Buffer.byteLength(pk, "utf8")).toBeLessThan(100);
    expect(await itemOf(key)).toMatchObject({ pk, samples: [3], name: key.name });
  });

  it("asks BatchGetItem at most 100 keys a call, each history once", async () => {
    const projectId = newProject();
    const keys = Array.from({ length: 250 }, (_, i) => ({ projectId, name: `spied-${i}` }));
    const { client, batchSizes } = spyingClient();
    await dynamo().recordDuration(keys[249]!, 9, t0);

    const answer = await dynamo(client).recentDurations(
      [...keys, { projectId, name: "spied-0 1/2" }],
      later(1),
    );

    expect(batchSizes.sort((a, b) => b - a)).toEqual([100, 100, 50]);
    expect([...answer]).toEqual([[`${projectId}#spied-249`, [9]]]);
  });

  it("asks again for the keys a BatchGetItem left unprocessed, backing off", async () => {
    const projectId = newProject();
    const keys = Array.from({ length: 6 }, (_, i) => ({ projectId, name: `throttled-${i}` }));
    for (const [i, key] of keys.entries()) await dynamo().recordDuration(key, i, t0);
    // The first call and its first retry leave half of what they are asked unprocessed.
    const { client, batchSizes } = spyingClient((call, asked) =>
      call <= 2 ? Math.floor(asked.length / 2) : 0,
    );
    const backoffs: number[] = [];
    const durations = new DynamoJobDurations(client, table.tableName, {
      backoff: async (attempt) => {
        backoffs.push(attempt);
      },
    });

    const answer = await durations.recentDurations(keys, later(1));

    expect(batchSizes).toEqual([6, 3, 1]);
    expect(backoffs).toEqual([1, 2]);
    expect(Object.fromEntries(answer)).toEqual(
      Object.fromEntries(keys.map((key, i) => [durationKeyOf(key), [i]])),
    );
  });

  it("answers keys still unprocessed after its retries as without history, not as an error", async () => {
    const projectId = newProject();
    const [kept, throttled] = [
      { projectId, name: "answered" },
      { projectId, name: "always-throttled" },
    ];
    await dynamo().recordDuration(kept, 1, t0);
    await dynamo().recordDuration(throttled, 2, t0);
    // Every call leaves its last key unprocessed: the throttled one, after the first call.
    const { client, batchSizes } = spyingClient(() => 1);
    const backoffs: number[] = [];
    const durations = new DynamoJobDurations(client, table.tableName, {
      backoff: async (attempt) => {
        backoffs.push(attempt);
      },
    });

    const answer = await durations.recentDurations([kept, throttled], later(1));

    expect(batchSizes).toEqual([2, 1, 1, 1, 1]);
    expect(backoffs).toEqual([1, 2, 3, 4]);
    expect([...answer]).toEqual([[durationKeyOf(kept), [1]]]);
  });
});
