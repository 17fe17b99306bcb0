import type { AutoscalerConfig } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { runSimulation } from "../src/simulate";
import type { TraceJob } from "../src/trace/trace-job";
import { ON_DEMAND_HOURLY, SPOT_DISCOUNT } from "../src/world/instance-prices";
import { simConfig, simPool } from "./support/sim-config";

const poolConfig = (overrides: Record<string, unknown> = {}): AutoscalerConfig =>
  simConfig([simPool({ tags: ["docker"], idle_time: "5m", ...overrides })]);

/** Fixed boot and hook delays, so every instant below can be worked out by hand. */
const EXACT_WORLD = { bootMedianS: 30, bootP95S: 30, hookDelayMinS: 1, hookDelayMaxS: 1 };

const jobAt = (jobId: number, isoTime: string, durationS: number): TraceJob => ({
  jobId,
  projectId: 7,
  createdAt: new Date(isoTime),
  durationS,
  tags: [],
});

describe("runSimulation", () => {
  it("bills one job as worked out by hand: pending → hook 1 s → stream batch 1 s → launch → running at 16.5 s → polls at 30 s", async () => {
    const run = await runSimulation({
      trace: [jobAt(1, "2099-11-24T10:00:10Z", 120)],
      config: poolConfig(),
      world: EXACT_WORLD,
    });
    const { summary } = run;
    // Launched at +2 s; the runner's first poll at +32 s takes the job.
    expect(summary.waitP50S).toBe(32);
    // Billed from running (+2 + 16.5 s) to the power-off after the job (+32 + 120 s).
    const billed = Math.ceil(152 - 18.5);
    expect(summary.instanceSeconds).toBe(billed);
    expect(summary.idleInstanceSeconds).toBe(billed - 120);
    const price = (ON_DEMAND_HOURLY["m7g.large"] ?? Number.NaN) * (1 - SPOT_DISCOUNT);
    expect(summary.ec2CostUsd).toBeCloseTo((billed / 3600) * price, 4);
    expect(summary).toMatchObject({
      jobs: 1,
      completed: 1,
      lostJobs: 0,
      launches: 1,
      leakedInstances: 0,
      leakedRunners: 0,
      leakedTokens: 0,
      leakedSlots: 0,
      idealInstanceSeconds: 150,
    });
    expect(summary.controlPlaneCostUsd).toBeGreaterThan(0);
  });

  it("bills a short job's instance for EC2's 60-second minimum", async () => {
    const { summary } = await runSimulation({
      trace: [jobAt(1, "2099-11-24T10:00:10Z", 5)],
      config: poolConfig(),
      world: EXACT_WORLD,
    });
    // Running at +18.5 s, off at +37 s: 18.5 s of use, billed 60.
    expect(summary.instanceSeconds).toBe(60);
  });

  it("never runs more instances than the pool's max_instances, and still runs every job", async () => {
    const trace = Array.from({ length: 10 }, (_, i) => jobAt(i + 1, "2099-11-24T10:00:10Z", 60));
    const { summary } = await runSimulation({
      trace,
      config: poolConfig({ max_instances: 3 }),
      world: EXACT_WORLD,
    });
    expect(summary.maxConcurrentInstances).toBe(3);
    expect(summary).toMatchObject({ completed: 10, lostJobs: 0, leakedInstances: 0 });
  });

  it("gives the same JSON for the same seed, and another run for another seed", async () => {
    const trace = Array.from({ length: 30 }, (_, i) =>
      jobAt(i + 1, new Date(Date.UTC(2099, 10, 24, 10, 0, i * 4)).toISOString(), 30 + i * 7),
    );
    const once = async (seed: number) => {
      const { summary, samples, waits } = await runSimulation({
        trace,
        config: poolConfig(),
        world: { seed },
      });
      return JSON.stringify({ ...summary, wallSeconds: 0, samples, waits });
    };
    const first = await once(5);
    expect(await once(5)).toBe(first);
    expect(await once(6)).not.toBe(first);
  });

  it("counts a job no pool can run as lost, and leaves nothing behind", async () => {
    const { summary } = await runSimulation({
      trace: [{ ...jobAt(1, "2099-11-24T10:00:10Z", 60), tags: ["gpu"] }],
      config: poolConfig(),
      world: { ...EXACT_WORLD, horizonS: 600 },
    });
    expect(summary).toMatchObject({ completed: 0, lostJobs: 1, launches: 0, leakedRunners: 0 });
  });

  it("answers calls past GitLab's rate limit with 429, and still runs every job", async () => {
    const trace = Array.from({ length: 12 }, (_, i) =>
      jobAt(i + 1, `2099-11-24T10:00:${String(10 + i).padStart(2, "0")}Z`, 60),
    );
    const { summary } = await runSimulation({
      trace,
      config: poolConfig(),
      world: { ...EXACT_WORLD, gitlabRequestsPerMinute: 8 },
    });
    expect(summary.throttledCalls).toBeGreaterThan(0);
    expect(summary).toMatchObject({
      completed: 12,
      lostJobs: 0,
      leakedRunners: 0,
      leakedTokens: 0,
      leakedSlots: 0,
    });
  });

  it("refuses a config with an instance type it has no price for", async () => {
    const config = poolConfig();
    const unpriced = {
      ...config,
      pools: config.pools.map((pool) => ({
        ...pool,
        instance: { ...pool.instance, types: ["x9z.large"] },
      })),
    };
    await expect(
      runSimulation({ trace: [jobAt(1, "2099-11-24T10:00:10Z", 60)], config: unpriced }),
    ).rejects.toThrow(/no price for instance type x9z.large/);
  });
});
