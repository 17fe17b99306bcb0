import {
  DeleteParameterCommand,
  GetParameterCommand,
  PutParameterCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import type { Compute, ScalerDependencies } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import { parameterStore } from "../../../test/support/parameter-store";
import { scalerWorld } from "../../../test/support/scaler-world";
import { resolveJobTags, runScalerPass, SsmTokenDrop } from "../src/index";

describe("runScalerPass", () => {
  it("starts one runner for one pending job, wired end to end", async () => {
    const world = scalerWorld();
    await world.addPendingJob(101, ["linux", "docker"]);

    const report = await runScalerPass(world.deps);

    const [runner] = await world.runners.listLive();
    expect(runner).toMatchObject({
      pool: "linux-arm",
      state: "booting",
      gitlabRunnerId: 1,
      market: "spot",
    });
    expect(world.gitlab.runners.get(1)).toMatchObject({
      runnerType: "group_type",
      groupId: 42,
      description: `ci-autoscaler/${runner!.name}`,
      tagList: ["linux", "docker", "arm64"],
      runUntagged: true,
      maximumTimeout: 3600,
      accessLevel: "not_protected",
    });
    expect(world.tokens.read(runner!.instanceId!)).toMatch(/^glrt-/);
    expect(world.tokens.read("i-someone-else")).toBeUndefined();
    expect(await world.runners.ledger()).toEqual({
      global: 1,
      byPool: { "linux-arm": 1 },
      byScope: { "group#42": 1 },
    });
    expect(report.pools[0]).toMatchObject({
      pool: "linux-arm",
      pending: 1,
      started: 1,
      launched: 1,
      failures: [],
    });
  });

  it("starts nothing more while the runner on its way covers the job", async () => {
    const world = scalerWorld();
    await world.addPendingJob(101, ["linux"]);
    await runScalerPass(world.deps);

    const second = await runScalerPass(world.deps);

    expect(second.pools[0]).toMatchObject({ started: 0 });
    expect(world.compute.launchCalls).toBe(1);
  });

  it("starts an on-demand runner for a retried spot job even where spot supply covers it", async () => {
    const world = scalerWorld();
    await world.addPendingJob(101, ["linux"]);
    await runScalerPass(world.deps);
    // The spot runner on its way covers the pending count; then a retry after an interruption comes.
    await world.addPendingJob(102, ["linux"]);
    await world.demand.annotateJob(102, { retryOfInterrupted: true });
    await world.demand.recordJobEvent(
      { jobId: 101, projectId: 5, status: "running" },
      world.clock.now(),
    );

    const report = await runScalerPass(world.deps);

    const markets = [...world.compute.instances.values()].map((instance) => instance.market);
    expect(report.pools[0]).toMatchObject({ pending: 1, started: 1, launched: 1 });
    expect(markets).toEqual(["spot", "on-demand"]);
  });

  it("hands each token it registered to its instance without reading it back from Parameter Store", async () => {
    const store = parameterStore();
    try {
      const world = scalerWorld();
      for (const jobId of [101, 102, 103]) await world.addPendingJob(jobId, ["linux"]);
      const tokens = new SsmTokenDrop(new SSMClient({ region: "eu-central-1" }), {
        parameterPrefix: "/gitlab-runner-autoscaler/ci-autoscaler/runners",
        instanceArnPrefix: "arn:aws:ec2:eu-central-1:123456789012:instance/",
      });

      const report = await runScalerPass({ ...world.deps, tokens });

      expect(report.pools[0]).toMatchObject({ launched: 3 });
      // Per runner: its token parked, then moved under its instance's name; no read.
      expect(store.ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
      expect(store.ssm.commandCalls(PutParameterCommand)).toHaveLength(6);
      expect(store.ssm.commandCalls(DeleteParameterCommand)).toHaveLength(3);
      const live = await world.runners.listLive();
      expect([...store.parameters.keys()].sort()).toEqual(
        live.map((runner) => tokens.instanceParameterName(runner.instanceId!)).sort(),
      );
    } finally {
      store.restore();
    }
  });

  it("starts another runner for a job whose runner is still booting after straggler_after", async () => {
    const config = configInput();
    config.pools[0]!.straggler_after = "2m";
    const world = scalerWorld(config);
    await world.addPendingJob(101, ["linux"]);
    await runScalerPass(world.deps);
    world.advance(120);
    const onTime = await runScalerPass(world.deps);
    world.advance(1);

    const late = await runScalerPass(world.deps);

    expect(onTime.pools[0]).toMatchObject({ started: 0, supply: { booting: 1, straggling: 0 } });
    expect(late.pools[0]).toMatchObject({ started: 1, supply: { booting: 0, straggling: 1 } });
    // The straggler is not given up on: it may still come up and take a job.
    expect((await world.runners.listLive()).map((runner) => runner.state)).toEqual([
      "booting",
      "booting",
    ]);
  });

  it("reads each job's tags from GitLab once, from its project's pending listing", async () => {
    const world = scalerWorld();
    await world.addPendingJob(101, ["linux"]);

    await runScalerPass(world.deps);
    await runScalerPass(world.deps);

    expect(world.gitlab.calls).toMatchObject({ listPendingJobs: 1, getJob: 0 });
  });

  it("knows a pipeline's later stage's tags from the first stage's listing, before it is pending", async () => {
    const world = scalerWorld();
    await world.addPendingJob(41, ["linux"]);
    // Job 42 is the next stage's: GitLab created it with the pipeline, and its hook said so.
    world.gitlab.model.enqueue({ id: 42, projectId: 5, tags: ["linux", "docker"], pending: false });
    await world.demand.recordJobEvent(
      { jobId: 42, projectId: 5, status: "created" },
      world.clock.now(),
    );
    await runScalerPass(world.deps);
    const listings = world.gitlab.calls.listPendingJobs;

    world.gitlab.model.release(42);
    await world.demand.recordJobEvent(
      { jobId: 42, projectId: 5, status: "pending" },
      world.clock.now(),
    );
    const report = await runScalerPass(world.deps);

    expect(listings).toBe(1);
    expect(world.gitlab.calls).toMatchObject({ listPendingJobs: 1, getJob: 0 });
    expect(report.pools.find((pool) => pool.pool === "linux-arm")).toMatchObject({ launched: 1 });
  });

  it("reads the tags of a project's new jobs from one pending listing per project, not a read each", async () => {
    const world = scalerWorld();
    for (const jobId of [1, 2, 3, 4]) await world.addPendingJob(jobId, ["linux"]);
    await world.addPendingJob(9, ["linux"], 7);

    const report = await runScalerPass(world.deps);

    expect(report.pools[0]).toMatchObject({ pending: 5, launched: 5 });
    expect(world.gitlab.calls).toMatchObject({ listPendingJobs: 2, getJob: 0 });
    const jobs = await world.demand.listPendingJobs(world.clock.now());
    expect(jobs.map((job) => job.tags)).toEqual(Array(5).fill(["linux"]));
  });

  it("records a pending job whose hook was lost when its project's listing shows it", async () => {
    const world = scalerWorld();
    await world.addPendingJob(1, ["linux"]);
    // GitLab has job 2 pending too; its hook never came.
    world.gitlab.model.enqueue({ id: 2, projectId: 5, tags: ["linux"] });

    const first = await runScalerPass(world.deps);
    const second = await runScalerPass(world.deps);

    expect(first.discovered).toEqual([2]);
    expect(second.pools[0]).toMatchObject({ pending: 2, launched: 1 });
    expect(world.gitlab.calls.getJob).toBe(0);
  });

  it("reads a job the listing lacks on its own, and closes it when GitLab moved it on", async () => {
    const world = scalerWorld();
    await world.addPendingJob(3, ["linux"], 5, "running");

    const report = await runScalerPass(world.deps);

    expect(report.closed).toEqual([3]);
    expect(world.gitlab.calls).toMatchObject({ listPendingJobs: 1, getJob: 1 });
  });

  it("counts demand per pool: three jobs, three runners, whichever job each takes", async () => {
    const world = scalerWorld();
    for (const jobId of [1, 2, 3]) await world.addPendingJob(jobId, jobId === 3 ? [] : ["linux"]);

    const report = await runScalerPass(world.deps);

    expect(report.pools[0]).toMatchObject({ pending: 3, launched: 3 });
  });

  it("never starts past the pool's max_instances", async () => {
    const world = scalerWorld();
    for (let jobId = 1; jobId <= 30; jobId++) await world.addPendingJob(jobId, ["linux"]);

    await runScalerPass(world.deps);

    expect((await world.runners.ledger()).byPool["linux-arm"]).toBe(10);
  });

  it("never starts past the global max_instances across pools", async () => {
    const config = { ...configInput(), max_instances: 11 };
    const world = scalerWorld(config);
    for (let jobId = 1; jobId <= 12; jobId++) await world.addPendingJob(jobId, ["linux"]);
    for (let jobId = 13; jobId <= 14; jobId++) await world.addPendingJob(jobId, ["gpu"], 7);

    await runScalerPass(world.deps);

    expect(await world.runners.ledger()).toEqual({
      global: 11,
      byPool: { "linux-arm": 10, gpu: 1 },
      byScope: { "group#42": 10, "project#7": 1 },
    });
  });

  it("reports jobs no pool can run and launches nothing for them", async () => {
    const world = scalerWorld();
    await world.addPendingJob(7, ["windows"]);

    const report = await runScalerPass(world.deps);

    expect(report.unroutable).toEqual([{ jobId: 7, reason: "no_pool_has_its_tags" }]);
    expect(world.compute.launchCalls).toBe(0);
  });

  it("closes a job GitLab no longer has pending (its webhook was lost) instead of launching", async () => {
    const world = scalerWorld();
    await world.addPendingJob(8, ["linux"], 5, "running");

    const report = await runScalerPass(world.deps);

    expect(report.closed).toEqual([8]);
    expect(world.compute.launchCalls).toBe(0);
    expect((await world.demand.listJobs(world.clock.now()))[0]).toMatchObject({
      jobId: 8,
      status: "running",
    });
  });

  it("defers tag reads when GitLab rate-limits, and catches up on the next pass", async () => {
    const world = scalerWorld();
    await world.addPendingJob(9, ["linux"]);
    world.gitlab.failures.push(429);

    const first = await runScalerPass(world.deps);
    const second = await runScalerPass(world.deps);

    expect(first.deferred).toEqual([9]);
    expect(first.pools[0]).toMatchObject({ started: 0 });
    expect(second.pools[0]).toMatchObject({ launched: 1 });
  });

  it("keeps idle_count warm runners during scheduled periods and none outside them", async () => {
    const monday = scalerWorld();
    monday.setTime("2026-11-23T11:30:00Z"); // 12:30 in Berlin: the noon policy keeps 4 warm
    const sunday = scalerWorld();
    sunday.setTime("2026-11-22T11:30:00Z");

    await runScalerPass(monday.deps);
    await runScalerPass(sunday.deps);

    expect((await monday.runners.listLive()).length).toBe(4);
    expect((await sunday.runners.listLive()).length).toBe(0);
  });

  it("rolls a launch back completely when there is no capacity, and offers the job to the next pool", async () => {
    const config = configInput();
    config.pools[1] = { ...config.pools[1]!, tags: ["linux", "gpu"] };
    const world = scalerWorld(config);
    await world.addPendingJob(10, ["linux"], 7); // project 7: both pools may serve it
    world.compute.failures.push({ kind: "no_capacity", errors: ["InsufficientInstanceCapacity"] });

    const report = await runScalerPass(world.deps);

    expect(report.pools[0]).toMatchObject({
      pool: "linux-arm",
      starved: true,
      launched: 0,
      failures: ["no_capacity"],
    });
    expect(report.pools[1]).toMatchObject({ pool: "gpu", pending: 1, launched: 1 });
    const live = await world.runners.listLive();
    expect(live.map((runner) => runner.pool)).toEqual(["gpu"]);
    expect([...world.gitlab.runners.values()].map((runner) => runner.description)).toEqual([
      `ci-autoscaler/${live[0]!.name}`,
    ]);
    expect([...world.tokens.granted.keys()]).toEqual([live[0]!.instanceId]);
    expect(await world.runners.ledger()).toEqual({
      global: 1,
      byPool: { "linux-arm": 0, gpu: 1 },
      byScope: { "group#42": 0, "project#7": 1 },
    });
  });

  it("stops launching on a quota error and says so", async () => {
    const world = scalerWorld();
    for (const jobId of [1, 2, 3]) await world.addPendingJob(jobId, ["linux"]);
    await world.addPendingJob(4, ["gpu"], 7);
    world.compute.failures.push({
      kind: "quota_exceeded",
      code: "VcpuLimitExceeded",
      message: "vCPU limit",
    });
    world.compute.failures.push({
      kind: "quota_exceeded",
      code: "VcpuLimitExceeded",
      message: "vCPU limit",
    });
    world.compute.failures.push({
      kind: "quota_exceeded",
      code: "VcpuLimitExceeded",
      message: "vCPU limit",
    });

    const report = await runScalerPass(world.deps);

    expect(report.quotaExceeded).toBe("VcpuLimitExceeded");
    expect(report.pools[1]).toMatchObject({ pool: "gpu", started: 0 });
    expect(await world.runners.listLive()).toEqual([]);
    expect(world.gitlab.runners.size).toBe(0);
  });
});

/** Makes one call of one dependency method throw, as a Lambda timeout or crash would. */
const crashAt = (
  deps: ScalerDependencies,
  target: string,
  occurrence: number,
): ScalerDependencies => {
  const [objectName, method] = target.split(".") as [keyof ScalerDependencies, string];
  const original = deps[objectName] as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  let calls = 0;
  const wrapped = new Proxy(original, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (property !== method || typeof value !== "function")
        return typeof value === "function" ? value.bind(object) : value;
      return async (...args: unknown[]) => {
        calls += 1;
        if (calls === occurrence) throw new Error(`crash in ${target}`);
        return value.apply(object, args);
      };
    },
  });
  return { ...deps, [objectName]: wrapped };
};

describe("a pass that crashes part-way through a launch", () => {
  const steps: [string, number][] = [
    ["registry.createRunner", 1],
    ["tokens.put", 1],
    ["runners.transition", 1],
    ["runners.transition", 2],
    ["compute.launch", 1],
    ["tokens.grant", 1],
    ["runners.transition", 3],
  ];

  it.each(steps)(
    "is finished by a later pass after a crash in %s (call %i)",
    async (target, occurrence) => {
      const world = scalerWorld();
      await world.addPendingJob(11, ["linux"]);

      // The failed step is reported with its runner, and the pass goes on without it.
      const crashed = await runScalerPass(crashAt(world.deps, target, occurrence));
      expect(crashed.pools[0]?.errors).toEqual([
        expect.objectContaining({ kind: "errored", message: `crash in ${target}` }),
      ]);
      world.advance(61);
      await runScalerPass(world.deps);
      await runScalerPass(world.deps);

      const live = await world.runners.listLive();
      expect(live).toHaveLength(1);
      const [runner] = live;
      expect(runner).toMatchObject({ state: "booting" });
      expect(world.compute.instances.size).toBe(1);
      expect([...world.compute.instances.values()][0]).toMatchObject({
        instanceId: runner!.instanceId,
        launchId: runner!.launchId,
      });
      expect(world.gitlab.runners.get(runner!.gitlabRunnerId!)?.description).toBe(
        `ci-autoscaler/${runner!.name}`,
      );
      expect(world.tokens.read(runner!.instanceId!)).toBe(
        world.gitlab.runners.get(runner!.gitlabRunnerId!)?.token,
      );
      expect(await world.runners.ledger()).toEqual({
        global: 1,
        byPool: { "linux-arm": 1 },
        byScope: { "group#42": 1 },
      });
      // A GitLab runner created just before the crash has a description naming this runner and no
      // record pointing at it: the reaper's orphan pass removes it after its grace period.
      const orphans = [...world.gitlab.runners.values()].filter(
        (gitlabRunner) => gitlabRunner.id !== runner!.gitlabRunnerId,
      );
      expect(
        orphans.every((orphan) => orphan.description === `ci-autoscaler/${runner!.name}`),
      ).toBe(true);
      expect(orphans.length).toBeLessThanOrEqual(1);
    },
  );
});

describe("one launch for a pass's new runners of a pool", () => {
  it("asks EC2 once for every new runner, each paired with its own instance and token", async () => {
    const world = scalerWorld();
    for (const jobId of [31, 32, 33, 34, 35]) await world.addPendingJob(jobId, ["linux"], 7);

    const report = await runScalerPass(world.deps);

    expect(report.pools[0]).toMatchObject({ launched: 5 });
    expect(world.compute.launchCalls).toBe(1);
    const live = await world.runners.listLive();
    const [first] = live;
    expect(live.map((runner) => [runner.state, runner.launchId, runner.launchIndex])).toEqual(
      live.map((_, index) => ["booting", first!.name, index]),
    );
    expect(new Set(live.map((runner) => runner.instanceId)).size).toBe(5);
    for (const runner of live)
      expect(world.tokens.read(runner.instanceId!)).toBe(
        world.gitlab.runners.get(runner.gitlabRunnerId!)?.token,
      );
  });

  it("resumes a launch that crashed part-way with the same instances, each for the same runner", async () => {
    const world = scalerWorld();
    for (const jobId of [41, 42, 43]) await world.addPendingJob(jobId, ["linux"], 7);
    const crashed = await runScalerPass(crashAt(world.deps, "tokens.grant", 3));
    expect(crashed.pools[0]?.errors).toHaveLength(1);
    const instancesAfterCrash = [...world.compute.instances.keys()];

    world.advance(61);
    await runScalerPass(world.deps);

    const live = await world.runners.listLive();
    expect(live.map((runner) => runner.state)).toEqual(["booting", "booting", "booting"]);
    expect([...world.compute.instances.keys()]).toEqual(instancesAfterCrash);
    expect(live.map((runner) => runner.instanceId)).toEqual(instancesAfterCrash);
    expect(world.compute.launchCalls).toBe(2);
  });

  it("terminates at once the instance made for a place whose runner failed to join the launch", async () => {
    const world = scalerWorld();
    for (const jobId of [44, 45, 46]) await world.addPendingJob(jobId, ["linux"], 7);
    // Calls 1-3 register the runners; 4-6 join them to the launch: the second joiner fails.
    await runScalerPass(crashAt(world.deps, "runners.transition", 5));
    const running = () =>
      [...world.compute.instances.values()].filter((instance) => instance.state !== "terminated");

    expect(world.compute.instances.size).toBe(3);
    expect(running()).toHaveLength(2);
    world.advance(61);
    await runScalerPass(world.deps);

    const live = await world.runners.listLive();
    expect(live.map((runner) => runner.state)).toEqual(["booting", "booting", "booting"]);
    expect(
      running()
        .map((instance) => instance.instanceId)
        .sort(),
    ).toEqual(live.map((runner) => runner.instanceId).sort());
  });

  it("undoes the runners a launch found no instance for, when EC2 gave fewer than asked", async () => {
    const world = scalerWorld();
    for (const jobId of [51, 52, 53]) await world.addPendingJob(jobId, ["linux"], 7);
    const short: Compute = {
      ...world.compute,
      listInstances: () => world.compute.listInstances(),
      terminate: (ids) => world.compute.terminate(ids),
      launch: async (request) => {
        const result = await world.compute.launch(request);
        return result.kind === "launched"
          ? { ...result, instances: result.instances.slice(0, 2) }
          : result;
      },
    };

    const report = await runScalerPass({ ...world.deps, compute: short });

    expect(report.pools[0]).toMatchObject({ launched: 2, failures: ["no_capacity"] });
    const live = await world.runners.listLive();
    expect(live.map((runner) => runner.state)).toEqual(["booting", "booting"]);
    expect(world.gitlab.runners.size).toBe(2);
    expect(world.tokens.stored).toBe(2);
    expect(await world.runners.ledger()).toMatchObject({ global: 2 });
  });
});

describe("runScalerPass: a job GitLab answers 404 for", () => {
  /** Job 12's hook came, but the token cannot see project 5 (or the job was erased). */
  const withInvisibleJob = async () => {
    const world = scalerWorld();
    await world.addPendingJob(12, ["linux"]);
    world.gitlab.jobs.delete(12);
    return world;
  };

  it("is recorded as not_visible with the reason, not as canceled, and launches nothing", async () => {
    const world = await withInvisibleJob();

    const report = await runScalerPass(world.deps);

    expect(world.compute.launchCalls).toBe(0);
    expect(report.closed).toEqual([]);
    expect(await world.demand.listPendingJobs(world.clock.now())).toEqual([]);
    expect(await world.demand.listJobs(world.clock.now())).toEqual([
      expect.objectContaining({ jobId: 12, status: "not_visible", closedReason: "gitlab_404" }),
    ]);
  });

  it("is reported apart from the jobs GitLab closed", async () => {
    const world = await withInvisibleJob();
    await world.addPendingJob(13, ["linux"], 5, "running");

    const resolution = await resolveJobTags(
      { ...world.deps, pools: world.deps.config.pools },
      await world.demand.listPendingJobs(world.clock.now()),
      10,
    );

    expect(resolution).toMatchObject({ notVisible: [12], closed: [13], deferred: [] });
  });

  it("stays not_visible when a hook of a lower rank arrives later, and still launches nothing", async () => {
    const world = await withInvisibleJob();
    await runScalerPass(world.deps);

    const late = await world.demand.recordJobEvent(
      { jobId: 12, projectId: 5, status: "pending" },
      world.clock.now(),
    );
    await runScalerPass(world.deps);

    expect(late).toEqual({ kind: "unchanged", currentStatus: "not_visible" });
    expect(world.compute.launchCalls).toBe(0);
  });
});
