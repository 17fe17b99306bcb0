import { randomUUID } from "node:crypto";
import type { RunnerRecord, RunnerStore } from "@ger/core/types";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import { createTestTable, type TestTable } from "../../../test/support/dynamodb";
import { DynamoRunnerStore, InMemoryRunnerStore } from "../src/index";

const t0 = SUNDAY_MORNING;
const caps = { poolMaxInstances: 3, globalMaxInstances: 5 };

const newRunner = (pool: string, name = `${pool}-${randomUUID().slice(0, 12)}`): RunnerRecord => ({
  name,
  pool,
  state: "reserved",
  createdAt: t0.toISOString(),
  updatedAt: t0.toISOString(),
});

// Each test gets tables of its own so that ledgers start at zero.
const tables: TestTable[] = [];
const freshDynamoStore = async () => {
  const table = await createTestTable();
  tables.push(table);
  return new DynamoRunnerStore(table.documentClient, table.tableName);
};
afterAll(async () => {
  await Promise.all(tables.map((table) => table.drop()));
});

const stores: [string, () => Promise<RunnerStore>][] = [
  ["in memory", async () => new InMemoryRunnerStore()],
  ["DynamoDB Local", freshDynamoStore],
];

/** Fills a store: `counts` runners reserved per pool, in that order. */
const seeded = async (store: RunnerStore, counts: Record<string, number>) => {
  for (const [pool, count] of Object.entries(counts))
    for (let i = 0; i < count; i++) await store.reserve(newRunner(pool), caps);
  return store;
};

// Every case builds its own store, so the cases pass in any order.
describe.each(stores)("RunnerStore contract: %s", (_, makeStore) => {
  it("reserves up to the pool's cap, then refuses", async () => {
    const store = await makeStore();
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await store.reserve(newRunner("small"), caps));

    expect(outcomes).toEqual(["reserved", "reserved", "reserved", "pool_full"]);
    expect(await store.ledger()).toEqual({ global: 3, byPool: { small: 3 }, byScope: {} });
  });

  it("refuses past the global cap even when the pool has room", async () => {
    const store = await seeded(await makeStore(), { small: 3 });
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await store.reserve(newRunner("large"), caps));

    expect(outcomes).toEqual(["reserved", "reserved", "global_full"]);
    expect((await store.listLive()).length).toBe(5);
  });

  it("moves a runner only from the states it is expected in", async () => {
    const store = await seeded(await makeStore(), { small: 1 });
    const [runner] = await store.listLive();

    const registered = await store.transition(
      runner!.name,
      ["reserved"],
      { state: "registered", gitlabRunnerId: 9 },
      t0,
    );
    const again = await store.transition(runner!.name, ["reserved"], { state: "registered" }, t0);

    expect(registered).toMatchObject({
      name: runner!.name,
      state: "registered",
      gitlabRunnerId: 9,
    });
    expect(again).toBeUndefined();
    expect(await store.get(runner!.name)).toMatchObject({ state: "registered", gitlabRunnerId: 9 });
  });

  it("releases a runner once and gives its slot back", async () => {
    const store = await seeded(await makeStore(), { small: 3, large: 2 });
    const [runner] = (await store.listLive()).filter((candidate) => candidate.pool === "small");

    const first = await store.release(runner!.name, ["reserved", "registered"], t0);
    const second = await store.release(runner!.name, ["reserved", "registered", "gone"], t0);

    expect([first, second]).toEqual([true, false]);
    expect(await store.get(runner!.name)).toMatchObject({ state: "gone" });
    expect(await store.ledger()).toEqual({
      global: 4,
      byPool: { small: 2, large: 2 },
      byScope: {},
    });
    expect(await store.reserve(newRunner("small"), caps)).toBe("reserved");
  });

  it("lists a moved runner once, with its new fields, in its place", async () => {
    const store = await seeded(await makeStore(), { small: 2 });
    const before = (await store.listLive()).map((runner) => runner.name);

    await store.transition(before[0]!, ["reserved"], { state: "booting", instanceId: "i-1" }, t0);

    const live = await store.listLive();
    expect(live.map((runner) => runner.name)).toEqual(before);
    expect(live.find((runner) => runner.name === before[0])).toMatchObject({
      state: "booting",
      instanceId: "i-1",
    });
  });

  it("drops a released runner from the live list for good, yet reads it gone and keeps its name taken", async () => {
    const store = await seeded(await makeStore(), { small: 2 });
    const [released, kept] = await store.listLive();
    await store.release(released!.name, ["reserved"], t0);

    const moved = await store.transition(released!.name, ["reserved"], { state: "idle" }, t0);

    expect(moved).toBeUndefined();
    expect((await store.listLive()).map((runner) => runner.name)).toEqual([kept!.name]);
    expect(await store.get(released!.name)).toMatchObject({ state: "gone", pool: "small" });
    await expect(store.reserve(newRunner("small", released!.name), caps)).rejects.toThrow(
      "exists already",
    );
    expect(await store.ledger()).toEqual({ global: 1, byPool: { small: 1 }, byScope: {} });
  });

  it("refuses to retire a runner through transition", async () => {
    const store = await seeded(await makeStore(), { small: 1 });
    const [runner] = await store.listLive();

    await expect(
      store.transition(runner!.name, ["reserved"], { state: "gone" }, t0),
    ).rejects.toThrow("release");
  });

  it("holds a GitLab scope's registered-runner cap across the pools that share it, and gives slots back", async () => {
    const store = await makeStore();
    const scoped = { ...caps, registrations: { scope: "group#42", max: 3 } };
    const runners = ["small", "large", "small", "large"].map((pool) => newRunner(pool));
    const outcomes = [];
    for (const runner of runners) outcomes.push(await store.reserve(runner, scoped));
    const first = await store.get(runners[0]!.name);
    await store.release(runners[0]!.name, ["reserved"], t0);

    expect(outcomes).toEqual(["reserved", "reserved", "reserved", "scope_full"]);
    expect(first?.registrationScope).toBe("group#42");
    expect(await store.ledger()).toEqual({
      global: 2,
      byPool: { small: 1, large: 1 },
      byScope: { "group#42": 2 },
    });
    expect(await store.reserve(newRunner("large"), scoped)).toBe("reserved");
  });

  describe("registrations kept between jobs", () => {
    const scoped = { ...caps, registrations: { scope: "group#42", max: 2 } };
    /** A runner of `pool` that created GitLab runner `id`, ran job `jobId` and is retiring. */
    const retiring = async (store: RunnerStore, pool: string, id: number, jobId: number) => {
      const runner = newRunner(pool);
      await store.reserve(runner, scoped);
      await store.transition(
        runner.name,
        ["reserved"],
        { state: "retiring", gitlabRunnerId: id, fingerprint: "fp-1", jobId },
        t0,
      );
      return runner.name;
    };
    const keep = (store: RunnerStore, name: string, id: number, at = t0) =>
      store.retainRegistration(
        name,
        ["retiring"],
        {
          name,
          tokenName: `${name}-next`,
          pool: "small",
          gitlabRunnerId: id,
          fingerprint: "fp-1",
          pastJobIds: [id * 10],
        },
        at,
      );

    it("ends the record, keeps the registration free with its scope slot, and lists it", async () => {
      const store = await makeStore();
      const name = await retiring(store, "small", 1, 10);

      expect(await keep(store, name, 1)).toBe(true);
      expect(await keep(store, name, 1)).toBe(false);

      expect(await store.get(name)).toMatchObject({ state: "gone" });
      expect(await store.listRegistrations()).toEqual([
        {
          name,
          tokenName: `${name}-next`,
          pool: "small",
          gitlabRunnerId: 1,
          registrationScope: "group#42",
          fingerprint: "fp-1",
          pastJobIds: [10],
          freeSince: t0.toISOString(),
          state: "free",
        },
      ]);
      expect(await store.ledger()).toEqual({
        global: 0,
        byPool: { small: 0 },
        byScope: { "group#42": 1 },
      });
    });

    it("gives a free registration of the pool and fingerprint to one new runner, the newest freed first", async () => {
      const store = await makeStore();
      const older = await retiring(store, "small", 1, 10);
      const newer = await retiring(store, "small", 2, 20);
      await keep(store, older, 1, t0);
      await keep(store, newer, 2, new Date(t0.getTime() + 1000));

      const otherPool = await store.takeRegistration(newRunner("large"), "fp-1", caps);
      const otherFingerprint = await store.takeRegistration(newRunner("small"), "fp-2", caps);
      const taken = await store.takeRegistration(newRunner("small"), "fp-1", caps);

      expect([otherPool, otherFingerprint]).toEqual(["none_free", "none_free"]);
      expect(taken).toMatchObject({
        state: "registered",
        gitlabRunnerId: 2,
        registration: newer,
        tokenName: `${newer}-next`,
        pastJobIds: [20],
        fingerprint: "fp-1",
        registrationScope: "group#42",
      });
      expect((await store.listRegistrations()).map((kept) => kept.name)).toEqual([older]);
      // The scope's count is unchanged: the slot passed from the registration to the record.
      expect(await store.ledger()).toEqual({
        global: 1,
        byPool: { small: 1 },
        byScope: { "group#42": 2 },
      });
    });

    it("takes none past the pool's or the fleet's cap, and then leaves it free", async () => {
      const store = await makeStore();
      const name = await retiring(store, "small", 1, 10);
      await keep(store, name, 1);

      const full = { poolMaxInstances: 0, globalMaxInstances: 9 };
      expect(await store.takeRegistration(newRunner("small"), "fp-1", full)).toBe("pool_full");
      expect(await store.listRegistrations()).toHaveLength(1);
    });

    it("expires a free registration once, so none takes it, then drops it with its scope slot", async () => {
      const store = await makeStore();
      const name = await retiring(store, "small", 1, 10);
      await keep(store, name, 1);

      expect(await store.dropRegistration(name)).toBe(false);
      expect(await store.expireRegistration(name)).toBe(true);
      expect(await store.expireRegistration(name)).toBe(false);
      expect(await store.takeRegistration(newRunner("small"), "fp-1", caps)).toBe("none_free");
      expect(await store.dropRegistration(name)).toBe(true);
      expect(await store.dropRegistration(name)).toBe(false);

      expect(await store.listRegistrations()).toEqual([]);
      expect((await store.ledger()).byScope).toEqual({ "group#42": 0 });
    });

    it("gives a registration a record releases without keeping it, and its scope slot, back", async () => {
      const store = await makeStore();
      const name = await retiring(store, "small", 1, 10);
      await keep(store, name, 1);
      const taken = await store.takeRegistration(newRunner("small"), "fp-1", caps);
      if (typeof taken !== "object") throw new Error(`not taken: ${taken}`);

      await store.release(taken.name, ["registered"], t0);

      expect(await store.ledger()).toEqual({
        global: 0,
        byPool: { small: 0 },
        byScope: { "group#42": 0 },
      });
    });
  });

  it("treats a pool capped at zero as full", async () => {
    const store = await makeStore();
    expect(
      await store.reserve(newRunner("off"), { poolMaxInstances: 0, globalMaxInstances: 99 }),
    ).toBe("pool_full");
  });
});

describe("DynamoRunnerStore under concurrent scalers", () => {
  it("gives each free registration to one runner only, and the scope never more registrations than its cap", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          kept: fc.integer({ min: 1, max: 4 }),
          scopeMax: fc.integer({ min: 4, max: 8 }),
        }),
        async ({ kept, scopeMax }) => {
          const store = await freshDynamoStore();
          const scoped = {
            poolMaxInstances: 20,
            globalMaxInstances: 20,
            registrations: { scope: "group#7", max: scopeMax },
          };
          for (let id = 1; id <= kept; id++) {
            const runner = newRunner("a");
            await store.reserve(runner, scoped);
            await store.transition(
              runner.name,
              ["reserved"],
              { state: "retiring", gitlabRunnerId: id, fingerprint: "fp" },
              t0,
            );
            await store.retainRegistration(
              runner.name,
              ["retiring"],
              {
                name: runner.name,
                tokenName: runner.name,
                pool: "a",
                gitlabRunnerId: id,
                fingerprint: "fp",
                pastJobIds: [],
              },
              t0,
            );
          }
          // 10 scalers at once, each taking a free registration or, with none, reserving anew.
          const outcomes = await Promise.all(
            Array.from({ length: 10 }, async () => {
              const runner = newRunner("a");
              const taken = await store.takeRegistration(runner, "fp", scoped);
              return taken === "none_free" ? store.reserve(runner, scoped) : taken;
            }),
          );

          const takers = outcomes.filter((outcome) => typeof outcome === "object");
          const ids = takers.map((record) => record.gitlabRunnerId);
          expect(new Set(ids).size).toBe(ids.length);
          expect(takers).toHaveLength(kept);
          expect(await store.listRegistrations()).toEqual([]);
          const ledger = await store.ledger();
          expect(ledger.byScope["group#7"]).toBeLessThanOrEqual(scopeMax);
          expect(ledger.byScope["group#7"]).toBe((await store.listLive()).length);
        },
      ),
      { numRuns: 5 },
    );
  });

  it("never lets 12 racing scalers pass a cap (pool, fleet or GitLab scope), and slots always equal live records", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          poolMax: fc.integer({ min: 1, max: 15 }),
          globalMax: fc.integer({ min: 1, max: 20 }),
          scopeMax: fc.integer({ min: 1, max: 25 }),
        }),
        async ({ poolMax, globalMax, scopeMax }) => {
          const store = await freshDynamoStore();
          const scalerCaps = {
            poolMaxInstances: poolMax,
            globalMaxInstances: globalMax,
            registrations: { scope: "group#7", max: scopeMax },
          };
          // 12 scalers, each trying to start 4 runners in each of two pools, all at once.
          const attempts = Array.from({ length: 12 }, () =>
            Promise.all(
              ["a", "b"].flatMap((pool) =>
                Array.from({ length: 4 }, () => store.reserve(newRunner(pool), scalerCaps)),
              ),
            ),
          );
          const outcomes = (await Promise.all(attempts)).flat();

          const ledger = await store.ledger();
          const live = await store.listLive();
          const reserved = outcomes.filter((outcome) => outcome === "reserved").length;
          expect(ledger.global).toBeLessThanOrEqual(globalMax);
          expect(ledger.byPool.a ?? 0).toBeLessThanOrEqual(poolMax);
          expect(ledger.byPool.b ?? 0).toBeLessThanOrEqual(poolMax);
          expect(live.length).toBe(reserved);
          expect(ledger.global).toBe(reserved);
          expect(ledger.byScope["group#7"]).toBe(reserved);
          expect(reserved).toBe(Math.min(globalMax, 2 * poolMax, scopeMax));
        },
      ),
      { numRuns: 6 },
    );
  });
});
