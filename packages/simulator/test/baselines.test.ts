import type { AutoscalerConfig } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { idlePoolPolicy, MAX_USE_COUNT } from "../src/policies/idle-pool-policy";
import { SeededRandom } from "../src/random";
import type { PolicyName, SimulationRun } from "../src/result";
import { runSimulation } from "../src/simulate";
import type { TraceJob } from "../src/trace/trace-job";
import { ON_DEMAND_HOURLY } from "../src/world/instance-prices";
import { VirtualTime } from "../src/world/virtual-time";
import { World } from "../src/world/world";
import { DEFAULT_WORLD, type WorldSettings } from "../src/world/world-settings";
import { simConfig, simPool } from "./support/sim-config";

/** The run starts here: a minute before the first job at +60 s, and on the five-minute clock. */
const START_MS = Date.UTC(2099, 10, 24, 10, 0, 0);

/** Fixed boot (30 s, running after 16.5 s) and hook delays (1 s), one sample a second. */
const EXACT_WORLD: Partial<WorldSettings> = {
  bootMedianS: 30,
  bootP95S: 30,
  hookDelayMinS: 1,
  hookDelayMaxS: 1,
  sampleEveryS: 1,
};

const pool = (name: string, tags: string[], settings: Record<string, unknown> = {}) =>
  simPool({ name, tags, run_untagged: false, max_instances: 10, ...settings });

const configOf = (...pools: ReturnType<typeof pool>[]): AutoscalerConfig => simConfig(pools, 20);

let nextJobId = 1;
/** A job pending `atS` seconds after the run's start. */
const jobAt = (atS: number, durationS: number, tags = ["docker"]): TraceJob => ({
  jobId: nextJobId++,
  projectId: 7,
  createdAt: new Date(START_MS + atS * 1000),
  durationS,
  tags,
});

const simulate = (
  policy: PolicyName,
  trace: TraceJob[],
  config: AutoscalerConfig,
  world: Partial<WorldSettings> = {},
) => runSimulation({ trace, config, policy, world: { ...EXACT_WORLD, ...world } });

/** The world `atS` seconds into the run. */
const at = (run: SimulationRun, atS: number) => {
  const sample = run.samples.find((s) => s.atS === atS);
  if (!sample) throw new Error(`no sample at ${atS} s`);
  return sample;
};

describe("per-job (terraform-aws-github-runner, ephemeral)", () => {
  it("runs a job after the 30 s queue delay and a boot: hook 1 s + 30 s + boot 30 s", async () => {
    const run = await simulate("per-job", [jobAt(60, 120)], configOf(pool("small", ["docker"])));
    expect(run.waits).toEqual([61]);
    // Launched at 91 s, running from 107.5 s; the job ends at 241 s, the cleanup's 10 s later
    // the instance terminates itself.
    expect(run.summary.instanceSeconds).toBe(Math.ceil(251 - 107.5));
    expect(run.summary).toMatchObject({
      completed: 1,
      launches: 1,
      leakedInstances: 0,
      // The next scale-down deletes the GitLab runner of the instance that is gone.
      leakedRunners: 0,
    });
  });

  it("retries a job over max_instances every 30 s (the visibility timeout) until there is room", async () => {
    const run = await simulate(
      "per-job",
      [jobAt(60, 60), jobAt(85, 10)],
      configOf(pool("small", ["docker"], { max_instances: 1 })),
    );
    // The first instance runs from 91 s until it ends itself at 191 s. The second job's event,
    // seen at 116 s, is retried at 146 and 176 s, and launches at 206 s: running at 236 s.
    expect(run.waits).toEqual([61, 236 - 85]);
    expect(run.summary).toMatchObject({ completed: 2, launches: 2, maxConcurrentInstances: 1 });
  });

  it("strands the newest job of a batch over the cap: the first messages are the ones retried", async () => {
    const run = await simulate(
      "per-job",
      [jobAt(60, 30), jobAt(60, 30)],
      configOf(pool("small", ["docker"], { max_instances: 1 })),
      { horizonS: 600 },
    );
    // One batch, room for one: the first job's event is retried, the runner launched for the
    // second takes the first (the oldest), and the retried event finds it running.
    expect(run.waits).toEqual([61]);
    expect(run.summary).toMatchObject({ completed: 1, lostJobs: 1, launches: 1 });
  });

  it("removes an idle runner whose job another took at the first scale-down 5 minutes after launch", async () => {
    const config = configOf(
      pool("small", ["docker"], { max_instances: 1 }),
      pool("gpu", ["docker", "gpu"], { max_instances: 1 }),
    );
    const run = await simulate(
      "per-job",
      [jobAt(60, 60), jobAt(85, 30), jobAt(165, 30, ["docker", "gpu"])],
      config,
      { horizonS: 900 },
    );
    // The second job waits for room in `small` until 206 s; the gpu runner, launched at 196 s for
    // the third job, boots at 226 s and takes the second (GitLab gives the oldest it may take), so
    // the `small` runner launched at 206 s boots at 236 s to nothing and idles; the third job,
    // its event spent, never gets a runner (docs/configuration.md:12: "no guarantee").
    expect(at(run, 599)).toMatchObject({ idle: 1, stopping: 0 });
    // The scale-down at 300 s finds it too young (launched 94 s before); at 600 s it goes.
    expect(at(run, 600)).toMatchObject({ idle: 0, stopping: 1 });
    expect(run.summary).toMatchObject({
      completed: 2,
      lostJobs: 1,
      launches: 3,
      leakedInstances: 0,
      leakedRunners: 0,
    });
  });
});

describe("idle-pool (GitLab Runner docker-autoscaler on taskscaler)", () => {
  it("with idle_count 2 starts a job at the next check_interval, tops up, and trims to idle_count", async () => {
    const config = configOf(pool("small", ["docker"], { idle_count: 2, idle_time: "2m" }));
    const run = await simulate("idle-pool", [jobAt(61, 120)], config);
    // Two instances made at 0 s, idle from 30 s; the manager's poll at 63 s takes the job.
    expect(run.waits).toEqual([2]);
    // At 120 s one in use and two idle wanted: a third. The job ends at 183 s; at 240 s the
    // instance idle since 30 s goes, and the two left are idle_count.
    expect(at(run, 239)).toMatchObject({ idle: 3, stopping: 0 });
    expect(at(run, 240)).toMatchObject({ idle: 2, stopping: 1 });
    expect(run.summary).toMatchObject({ launches: 3, leakedInstances: 0, leakedRunners: 0 });
  });

  it(`reuses an instance for ${MAX_USE_COUNT} jobs (max_use_count), then replaces it`, async () => {
    const trace = Array.from({ length: MAX_USE_COUNT + 2 }, (_, i) => jobAt(60 + 20 * i, 10));
    const config = configOf(pool("small", ["docker"], { idle_count: 1, max_instances: 1 }));
    const run = await simulate("idle-pool", trace, config);
    // Jobs at 60, 80, … are taken at the next 3-second poll. The tenth ends at 250 s and its
    // instance goes; the update at 300 s makes another, idle at 330 s: the job from 260 s runs
    // then, the one from 280 s after it, at the poll at 342 s.
    expect(run.waits).toEqual([0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 342 - 280, 330 - 260]);
    expect(run.summary).toMatchObject({ completed: 12, launches: 2, leakedInstances: 0 });
  });

  it("with idle_count 0 takes the job at once and runs it after the next update and a boot", async () => {
    const config = configOf(pool("small", ["docker"], { idle_time: "2m" }));
    const run = await simulate("idle-pool", [jobAt(60, 30)], config);
    // Preemptive mode off: the poll at 60 s takes the job (GitLab has it running from then on);
    // the update at 120 s launches, the instance is up at 150 s and the job runs: 60 s + 30 s.
    expect(at(run, 149)).toMatchObject({ busy: 0, booting: 1 });
    expect(at(run, 150)).toMatchObject({ busy: 1 });
    // Idle from 180 s: not past idle_time at 300 s (120 s), removed at the update at 360 s.
    expect(at(run, 359)).toMatchObject({ idle: 1, stopping: 0 });
    expect(at(run, 360)).toMatchObject({ idle: 0, stopping: 1 });
    expect(run.summary.instanceSeconds).toBe(Math.ceil(360 - 136.5));
    expect(run.summary).toMatchObject({ completed: 1, launches: 1, leakedInstances: 0 });
  });

  it("bills its always-on manager, an on-demand t3.micro, as control plane", () => {
    const config = configOf(pool("small", ["docker"]));
    const world = new World(
      new VirtualTime(new Date(START_MS)),
      new SeededRandom(1),
      DEFAULT_WORLD,
      config,
    );
    const price = ON_DEMAND_HOURLY["t3.micro"] ?? Number.NaN;
    expect(idlePoolPolicy(world).costUsd(3600)).toBeCloseTo(price, 8);
  });
});
