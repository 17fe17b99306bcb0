import { DEFAULT_SCALER_LIMITS } from "@ger/core";
import { describe, expect, it } from "vitest";
import type { SimulationSummary } from "../src/result";
import { runSimulation } from "../src/simulate";
import type { TraceJob } from "../src/trace/trace-job";
import type { WorldSettings } from "../src/world/world-settings";
import { CLEAN, clean } from "./support/clean-end";
import { simConfig, simPool } from "./support/sim-config";

const START_MS = Date.UTC(2099, 10, 24, 10, 0, 0);

/** `count` untagged jobs of two projects, all created in the same minute, two minutes long each. */
const burst = (count: number): TraceJob[] =>
  Array.from({ length: count }, (_, i) => ({
    jobId: i + 1,
    projectId: 1 + (i % 2),
    createdAt: new Date(START_MS + (i % 60) * 1000),
    durationS: 120,
    tags: [],
  })).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());

/** One pool of group runners (group 42), optionally knowing the group's registered-runner cap. */
const groupConfig = (registeredRunnerLimit?: number) =>
  simConfig([
    simPool({
      runner: {
        runner_type: "group_type",
        group_id: 42,
        ...(registeredRunnerLimit !== undefined && {
          registered_runner_limit: registeredRunnerLimit,
        }),
      },
      max_instances: 40,
    }),
  ]);

const simulate = async (
  config: ReturnType<typeof groupConfig>,
  world: Partial<WorldSettings>,
  jobs = 30,
): Promise<SimulationSummary> =>
  (await runSimulation({ trace: burst(jobs), config, world })).summary;

describe("GitLab's registered-runner cap in the simulated world", () => {
  it("holds a group pool to the cap GitLab enforces, with the starvation reported and every job served", async () => {
    const summary = await simulate(groupConfig(), { registeredRunnerLimit: 10 });

    expect(clean(summary)).toEqual(CLEAN);
    expect(summary.completed).toBe(30);
    expect(summary.maxLiveRegistrations).toBe(10);
    expect(summary.starvedByScopeLimit).toBeGreaterThan(0);
    // GitLab refused some creations: more lifecycle calls than a create and a delete (and the
    // read before it) per runner.
    const served = 2 * summary.gitlabRunnersCreated + summary.tokenResets;
    expect(summary.gitlabApiCallsByPurpose.lifecycle).toBeGreaterThan(
      served + 2 * summary.gitlabRunnersDeleted,
    );
    // The refusal is remembered from one scaler pass to the next: a pass's launches at most are
    // refused, not one per job per pass (a cap forgotten between passes cost 800 calls here).
    expect(summary.gitlabApiCallsByPurpose.lifecycle).toBeLessThanOrEqual(
      served + 2 * summary.gitlabRunnersDeleted + DEFAULT_SCALER_LIMITS.launchConcurrency,
    );
  });

  it("never asks GitLab for a registration past a cap the config states", async () => {
    const summary = await simulate(groupConfig(10), { registeredRunnerLimit: 10 });

    expect(clean(summary)).toMatchObject({ lostJobs: 0, leaks: [0, 0, 0, 0] });
    expect(summary.completed).toBe(30);
    expect(summary.maxLiveRegistrations).toBe(10);
    expect(summary.starvedByScopeLimit).toBeGreaterThan(0);
    // A create per registration, a reset per job it served (its description read before the
    // first), and a delete (with its read) per registration that expired.
    expect(summary.gitlabApiCallsByPurpose.lifecycle).toBe(
      2 * summary.gitlabRunnersCreated + summary.tokenResets + 2 * summary.gitlabRunnersDeleted,
    );
  });

  it("fills a slot freed under the cap within seconds with runners created per job", async () => {
    const config = groupConfig(10);
    const perJob = {
      ...config,
      pools: config.pools.map((pool) => ({
        ...pool,
        runner: { ...pool.runner, registrations: "per_job" as const },
      })),
    };
    const summary = await simulate(perJob, { registeredRunnerLimit: 10 }, 300);

    // Thirty rounds of ten: a deleted runner's slot refilled slower than the scaler's revisit
    // would make the waiting jobs late.
    expect(clean(summary)).toEqual(CLEAN);
    expect(summary.gitlabRunnersCreated).toBe(300);
    expect(summary.maxLiveRegistrations).toBe(10);
  });

  it("counts every GitLab call under one purpose", async () => {
    const summary = await simulate(groupConfig(), {});
    const byPurpose = Object.values(summary.gitlabApiCallsByPurpose);

    expect(byPurpose.reduce((sum, count) => sum + count, 0)).toBe(summary.gitlabApiCalls);
    expect(summary.gitlabRunnersCreated).toBe(
      summary.gitlabRunnersDeleted + summary.retainedRegistrations,
    );
  });
});

describe("registrations kept between jobs, against one per job", () => {
  /** Three waves of 30 jobs, ten minutes apart, on one group pool kept as `registrations` says. */
  const waves = (): TraceJob[] =>
    [0, 1, 2].flatMap((wave) =>
      burst(30).map((job) => ({
        ...job,
        jobId: job.jobId + wave * 100,
        createdAt: new Date(job.createdAt.getTime() + wave * 600_000),
      })),
    );
  const run = async (registrations: "reuse" | "per_job") => {
    const config = simConfig([
      simPool({
        runner: { runner_type: "group_type", group_id: 42, registrations },
        max_instances: 40,
      }),
    ]);
    return (await runSimulation({ trace: waves(), config, world: {} })).summary;
  };

  it("serves later waves with the first wave's registrations, one reset per job, and ends with them kept", async () => {
    const [reuse, perJob] = [await run("reuse"), await run("per_job")];

    expect(clean(reuse)).toEqual(CLEAN);
    expect(clean(perJob)).toEqual(CLEAN);
    expect(perJob.gitlabRunnersCreated).toBeGreaterThanOrEqual(90);
    expect(perJob.retainedRegistrations).toBe(0);
    // Registrations follow the peak: 30 at once, no more than the most instances at once.
    expect(reuse.gitlabRunnersCreated).toBeLessThanOrEqual(reuse.maxConcurrentInstances);
    expect(reuse.maxLiveRegistrations).toBeLessThanOrEqual(reuse.maxConcurrentInstances);
    expect(reuse.tokenResets).toBeGreaterThanOrEqual(90);
    expect(reuse.retainedRegistrations).toBe(reuse.gitlabRunnersCreated);
    expect(reuse.gitlabApiCallsByPurpose.lifecycle).toBeLessThan(
      perJob.gitlabApiCallsByPurpose.lifecycle * 0.75,
    );
  });
});

describe("Parameter Store's throughput in the simulated world", () => {
  it("hands a burst's tokens off through a tight throughput without losing a job or leaving a token", async () => {
    const tight = { capacity: 5, perSecond: 5 };
    const summary = await simulate(groupConfig(), {
      parameterStore: { getPut: tight, delete: tight },
    });

    expect(clean(summary)).toEqual(CLEAN);
    expect(summary.completed).toBe(30);
    expect(summary.throttledCalls).toBeGreaterThan(0);
    // At least a put, a grant's read, write and delete, and the instance's read per runner.
    expect(summary.ssmCalls).toBeGreaterThanOrEqual(5 * summary.gitlabRunnersCreated);
  });
});
