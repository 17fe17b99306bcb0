import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import { configInput } from "../../../test/support/config";
import {
  NO_SUPPLY,
  needsProjectGroups,
  parseAutoscalerConfig,
  poolSettingsAt,
  routeJob,
  runnersToStart,
  whyUnroutable,
} from "../src/index";

const config = parseAutoscalerConfig(configInput());
const arm = config.pools[0]!;

describe("poolSettingsAt", () => {
  it.each([
    ["a Sunday", "2026-11-22T10:00:00Z", { idleCount: 0, idleTimeSeconds: 300, maxInstances: 10 }],
    [
      "a weekday at 07:59 Berlin",
      "2026-11-23T06:59:59Z",
      { idleCount: 0, idleTimeSeconds: 300, maxInstances: 10 },
    ],
    [
      "a weekday at 08:00 Berlin",
      "2026-11-23T07:00:00Z",
      { idleCount: 2, idleTimeSeconds: 1200, maxInstances: 10 },
    ],
    [
      "noon Berlin, where the last policy wins",
      "2026-11-23T11:30:00Z",
      { idleCount: 4, idleTimeSeconds: 1200, maxInstances: 10 },
    ],
    [
      "17:59 Berlin",
      "2026-11-23T16:59:00Z",
      { idleCount: 2, idleTimeSeconds: 1200, maxInstances: 10 },
    ],
    [
      "18:00 Berlin",
      "2026-11-23T17:00:00Z",
      { idleCount: 0, idleTimeSeconds: 300, maxInstances: 10 },
    ],
    [
      "08:30 Berlin in summer time",
      "2026-07-06T06:30:00Z",
      { idleCount: 2, idleTimeSeconds: 1200, maxInstances: 10 },
    ],
  ])("on %s", (_, at, expected) => {
    expect(poolSettingsAt(arm, new Date(at))).toEqual(expected);
  });

  it("never keeps more warm runners than the pool may have", () => {
    const capped = {
      ...arm,
      policy: [{ periods: ["* * * * *"], timezone: "UTC", max_instances: 1 }],
    };

    expect(poolSettingsAt(capped, SUNDAY_MORNING)).toMatchObject({ idleCount: 0, maxInstances: 1 });
  });
});

describe("routeJob", () => {
  const pools = config.pools;
  // Project 7 sits in group 42: both pools' scopes take its jobs.
  const inScope = (tags: string[]) => ({ tags, projectId: 7, groupIds: [42] });

  it.each([
    [["linux", "docker"], "linux-arm"],
    [["arm64"], "linux-arm"],
    [[], "linux-arm"],
    [["gpu"], "gpu"],
    [["gpu", "linux"], undefined],
    [["windows"], undefined],
  ])("sends a job tagged %j to %s", (tags, pool) => {
    expect(routeJob(pools, inScope(tags))?.name).toBe(pool);
  });

  it("never sends an untagged job to a pool that does not run untagged jobs", () => {
    expect(routeJob([pools[1]!], inScope([]))).toBeUndefined();
  });

  it("picks the first pool in config order when several match", () => {
    const both = [{ ...pools[1]!, name: "first", tags: ["gpu"] }, pools[1]!];

    expect(routeJob(both, inScope(["gpu"]))?.name).toBe("first");
  });

  it("sends a job only to pools whose scope GitLab would serve it from", () => {
    // linux-arm is group 42's, gpu is project 7's.
    const elsewhere = { tags: ["linux"], projectId: 99, groupIds: [5] };
    const gpuElsewhere = { tags: ["gpu"], projectId: 99, groupIds: [42] };

    expect(routeJob(pools, elsewhere)).toBeUndefined();
    expect(whyUnroutable(pools, elsewhere)).toBe("outside_every_pool_scope");
    expect(routeJob(pools, gpuElsewhere)).toBeUndefined();
    expect(routeJob(pools, { tags: ["linux"], projectId: 99, groupIds: [42] })?.name).toBe(
      "linux-arm",
    );
    expect(whyUnroutable(pools, { tags: ["windows"], projectId: 7, groupIds: [42] })).toBe(
      "no_pool_has_its_tags",
    );
  });

  it("waits for a project's groups only where a group pool has the job's tags", () => {
    expect(needsProjectGroups(pools, { tags: ["linux"], projectId: 99 })).toBe(true);
    expect(needsProjectGroups(pools, { tags: ["gpu"], projectId: 99 })).toBe(false);
    expect(needsProjectGroups(pools, { tags: ["linux"], projectId: 99, groupIds: [] })).toBe(false);
    expect(routeJob(pools, { tags: ["linux"], projectId: 99 })).toBeUndefined();
  });
});

describe("runnersToStart", () => {
  const idle = NO_SUPPLY;
  const base = {
    settings: { idleCount: 0, idleTimeSeconds: 300, maxInstances: 10 },
    pending: 0,
    supply: idle,
    ahead: 0,
    poolSlotsInUse: 0,
    globalSlotsInUse: 0,
    globalMaxInstances: 20,
  };

  it.each([
    ["one per pending job", { pending: 3 }, 3],
    [
      "nothing when runners on their way cover demand",
      { pending: 3, supply: { ...idle, creating: 1, booting: 1, idle: 1 } },
      0,
    ],
    [
      "busy runners do not cover new jobs",
      { pending: 2, supply: { ...idle, busy: 5 }, poolSlotsInUse: 5 },
      2,
    ],
    [
      "warm runners on top of demand",
      { pending: 1, settings: { ...base.settings, idleCount: 2 } },
      3,
    ],
    ["no more than the pool's cap", { pending: 30, poolSlotsInUse: 7 }, 3],
    ["no more than the global cap", { pending: 30, globalSlotsInUse: 18 }, 2],
    ["nothing when over the cap after a schedule shrank it", { pending: 5, poolSlotsInUse: 12 }, 0],
    ["zero when there is no work and no idle_count", {}, 0],
    ["one per later-stage job lookahead launches for", { pending: 1, ahead: 2 }, 3],
    [
      "nothing ahead when idle runners cover the future jobs too",
      { pending: 1, ahead: 2, supply: { ...idle, idle: 3 } },
      0,
    ],
  ])("%s", (_, change, expected) => {
    expect(runnersToStart({ ...base, ...change })).toBe(expected);
  });

  const supplyArb = fc.record({
    creating: fc.nat(20),
    booting: fc.nat(20),
    straggling: fc.nat(20),
    stalled: fc.nat(20),
    idle: fc.nat(20),
    busy: fc.nat(20),
    draining: fc.nat(20),
  });
  const inputArb = fc.record({
    settings: fc.record({
      idleCount: fc.nat(10),
      idleTimeSeconds: fc.nat(3600),
      maxInstances: fc.nat(50),
    }),
    pending: fc.nat(500),
    ahead: fc.nat(20),
    supply: supplyArb,
    poolSlotsInUse: fc.nat(100),
    globalSlotsInUse: fc.nat(200),
    globalMaxInstances: fc.nat(200),
  });

  it("is never negative and never takes a pool or the fleet past its cap", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const start = runnersToStart(input);

        expect(start).toBeGreaterThanOrEqual(0);
        expect(start === 0 || input.poolSlotsInUse + start <= input.settings.maxInstances).toBe(
          true,
        );
        expect(start === 0 || input.globalSlotsInUse + start <= input.globalMaxInstances).toBe(
          true,
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("never starts more than demand, future demand and warm runners still need", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const available = input.supply.creating + input.supply.booting + input.supply.idle;

        expect(runnersToStart(input)).toBeLessThanOrEqual(
          Math.max(0, input.pending + input.ahead + input.settings.idleCount - available),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("scales to zero when there is no work and idle_count is 0", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(
          runnersToStart({
            ...input,
            pending: 0,
            ahead: 0,
            settings: { ...input.settings, idleCount: 0 },
          }),
        ).toBe(0);
      }),
    );
  });
});
