import { describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import { stateWorlds, type World } from "../../../test/support/state-worlds";
import {
  FRESH_DEMAND_SECONDS,
  GitLabApiError,
  INSTANCE_LISTING_LAG_SECONDS,
  ORPHAN_GRACE_SECONDS,
  RETIREMENT_IN_FLIGHT_SECONDS,
  runReaperPass,
  runScalerPass,
  STALLED_LAUNCH_SECONDS,
} from "../src/index";

const NOTHING_LEFT = { live: 0, instances: 0, gitlabRunners: 0, tokens: 0, slots: 0 };

describe.each(stateWorlds())("runReaperPass, state %s", (_, makeWorld) => {
  /** A world with one runner launched for one job, in state booting. */
  const withRunner = async (config = configInput()) => {
    const world = await makeWorld(config);
    await world.addPendingJob(31, ["linux"]);
    await runScalerPass(world.deps);
    const [runner] = await world.runners.listLive();
    // Our runner asks GitLab for a job, as run-single does: GitLab hands it job 31 while pending.
    const polls = () => world.gitlab.model.requestJob(runner!.gitlabRunnerId!);
    const moveTo = (state: "idle" | "busy" | "finished") =>
      world.runners.transition(
        runner!.name,
        ["booting", "idle", "busy"],
        { state },
        world.clock.now(),
      );
    // The job left the queue (a runner took it); only the runner's own state matters below.
    const jobTaken = () =>
      world.demand.recordJobEvent(
        { jobId: 31, projectId: 5, status: "running" },
        world.clock.now(),
      );
    return { world, runner: runner!, polls, moveTo, jobTaken };
  };

  /** Someone else's runner takes job 31 first: ours finds nothing when it polls. */
  const anotherRunnerTakesJob31 = (world: World) => {
    const theirs = world.gitlab.model.createRunner({
      runnerType: "instance_type",
      description: "team-runner-1",
      tagList: ["linux"],
      runUntagged: false,
      accessLevel: "not_protected",
    });
    world.gitlab.model.requestJob(theirs.id);
  };

  const nothingLeft = async (world: World) => ({
    live: (await world.runners.listLive()).length,
    instances: (await world.compute.listInstances()).length,
    gitlabRunners: world.gitlab.runners.size,
    tokens: world.tokens.stored,
    slots: (await world.runners.ledger()).global,
  });

  it("terminates and deregisters a runner that finished its job, leaving nothing behind", async () => {
    const { world, moveTo, jobTaken } = await withRunner();
    await jobTaken();
    await moveTo("finished");

    const report = await runReaperPass(world.reaperDeps);

    expect(report.retired).toEqual({ finished: 1 });
    expect(await nothingLeft(world)).toEqual(NOTHING_LEFT);
  });

  it("never touches a busy runner, however long past idle_time", async () => {
    const { world, runner, moveTo, jobTaken } = await withRunner();
    await jobTaken();
    await moveTo("busy");
    world.advance(3000);

    const report = await runReaperPass(world.reaperDeps);

    expect(report.actions).toEqual([]);
    expect(await world.runners.get(runner.name)).toMatchObject({ state: "busy" });
    expect(world.compute.terminateCalls).toBe(0);
  });

  it("asks GitLab before retiring a busy runner past its job timeout, and spares it while busy", async () => {
    const { world, runner, polls, moveTo, jobTaken } = await withRunner();
    await jobTaken();
    await moveTo("busy");
    polls();
    world.advance(3600 + ORPHAN_GRACE_SECONDS + 1);

    const report = await runReaperPass(world.reaperDeps);

    expect(report).toMatchObject({ sparedBusy: 1, retired: {} });
    expect(await world.runners.get(runner.name)).toMatchObject({ state: "busy" });
  });

  it("cleans a runner that never contacted GitLab after boot_timeout, and not before", async () => {
    const { world, jobTaken } = await withRunner();
    await jobTaken();
    world.advance(599);
    const early = await runReaperPass(world.reaperDeps);
    world.advance(2);

    const late = await runReaperPass(world.reaperDeps);

    expect(early.actions).toEqual([]);
    expect(late.retired).toEqual({ boot_timeout: 1 });
    expect(await nothingLeft(world)).toEqual(NOTHING_LEFT);
  });

  it("moves a slow booter that did reach GitLab to idle instead of killing it", async () => {
    const { world, runner, polls, jobTaken } = await withRunner();
    await jobTaken();
    anotherRunnerTakesJob31(world);
    polls();
    world.advance(601);

    const report = await runReaperPass(world.reaperDeps);

    expect(report).toMatchObject({ cameOnline: 1, retired: {} });
    expect(await world.runners.get(runner.name)).toMatchObject({ state: "idle" });
  });

  it("retires an idle runner past idle_time when no demand needs it", async () => {
    const { world, moveTo, jobTaken } = await withRunner();
    await jobTaken();
    await moveTo("idle");
    world.advance(301);

    const report = await runReaperPass(world.reaperDeps);

    expect(report.retired).toEqual({ idle_timeout: 1 });
  });

  it("keeps an idle runner that fresh demand needs", async () => {
    const { world, runner, moveTo, jobTaken } = await withRunner();
    await jobTaken();
    await moveTo("idle");
    world.advance(301);
    await world.addPendingJob(32, ["linux"]);
    await world.demand.annotateJob(32, { tags: ["linux"], groupIds: [42] });
    world.advance(FRESH_DEMAND_SECONDS - 1);

    await runReaperPass(world.reaperDeps);

    expect(await world.runners.get(runner.name)).toMatchObject({ state: "idle" });
  });

  it("retires an idle runner past idle_time that demand it polled past for a minute cannot use, and counts the job passed over", async () => {
    const { world, runner, moveTo } = await withRunner();
    await world.demand.annotateJob(31, { tags: ["linux"] });
    await moveTo("idle");
    world.advance(301);

    const report = await runReaperPass(world.reaperDeps);

    expect(report.retired).toEqual({ idle_timeout: 1 });
    expect(await world.runners.get(runner.name)).toMatchObject({ state: "gone" });
    const [job] = await world.demand.listPendingJobs(world.clock.now());
    expect(job).toMatchObject({ jobId: 31, passedOver: 1 });
  });

  it("keeps the scheduled idle_count of warm runners", async () => {
    const world = await makeWorld();
    world.advance(22 * 3600); // from Sunday 10:00 UTC to Monday 09:00 in Berlin: idle_count 2
    await runScalerPass(world.deps);
    for (const runner of await world.runners.listLive()) {
      await world.runners.transition(
        runner.name,
        ["booting"],
        { state: "idle" },
        world.clock.now(),
      );
    }
    world.advance(1300);

    await runReaperPass(world.reaperDeps);

    expect((await world.runners.listLive()).map((runner) => runner.state)).toEqual([
      "idle",
      "idle",
    ]);
  });

  it("spares an idle runner that GitLab says is running a job, and marks it busy", async () => {
    const { world, runner, polls, moveTo, jobTaken } = await withRunner();
    await jobTaken();
    await moveTo("idle");
    polls();
    world.advance(301);

    const report = await runReaperPass(world.reaperDeps);

    expect(report.sparedBusy).toBe(1);
    expect(await world.runners.get(runner.name)).toMatchObject({ state: "busy" });
  });

  it("asks GitLab about an idle runner that let older demand wait, and records it busy (its running hook was lost)", async () => {
    const { world, runner, polls, moveTo } = await withRunner();
    await world.demand.annotateJob(31, { tags: ["linux"] });
    await moveTo("idle");
    polls();
    world.advance(FRESH_DEMAND_SECONDS - 1);
    const early = await runReaperPass(world.reaperDeps);
    world.advance(2);

    const report = await runReaperPass(world.reaperDeps);

    expect(early.actions).toEqual([]);
    expect(report.foundBusy).toBe(1);
    expect(report.retired).toEqual({});
    expect(await world.runners.get(runner.name)).toMatchObject({ state: "busy" });
  });

  it("leaves an idle runner GitLab says is idle as it is, however long older demand waits", async () => {
    const { world, runner, moveTo } = await withRunner();
    await world.demand.annotateJob(31, { tags: ["linux"] });
    await moveTo("idle");
    world.advance(FRESH_DEMAND_SECONDS + 1);

    const report = await runReaperPass(world.reaperDeps);

    expect(report.actions).toEqual([expect.objectContaining({ kind: "confirm_idle" })]);
    expect(report.foundBusy).toBe(0);
    expect(await world.runners.get(runner.name)).toMatchObject({ state: "idle" });
  });

  it("spares a runner whose job GitLab's lagging busy flag does not show yet", async () => {
    const { world, runner, polls, moveTo, jobTaken } = await withRunner();
    await jobTaken();
    await moveTo("idle");
    polls();
    world.advance(301);
    const registry = world.gitlab;
    const lagging: typeof registry = Object.create(registry, {
      getRunner: {
        value: async (id: number) => {
          const found = await registry.getRunner(id);
          return found && { ...found, busy: false };
        },
      },
    });

    const report = await runReaperPass({ ...world.reaperDeps, registry: lagging });

    expect(report.retired).toEqual({});
    expect(report.sparedBusy).toBe(1);
    expect(await world.runners.get(runner.name)).toMatchObject({ state: "busy" });
  });

  it("cleans a runner record whose instance is gone", async () => {
    const { world, runner, moveTo, jobTaken } = await withRunner();
    await jobTaken();
    await moveTo("busy");
    await world.compute.terminate([runner.instanceId!]);
    world.advance(INSTANCE_LISTING_LAG_SECONDS + 1);

    const report = await runReaperPass(world.reaperDeps);

    expect(report.retired).toEqual({ instance_gone: 1 });
    expect(await nothingLeft(world)).toEqual(NOTHING_LEFT);
  });

  it("rolls back a launch that stalled past the scaler's own retries", async () => {
    const world = await makeWorld();
    const at = world.clock.now().toISOString();
    await world.runners.reserve(
      {
        name: "linux-arm-stalled",
        pool: "linux-arm",
        state: "reserved",
        createdAt: at,
        updatedAt: at,
      },
      { poolMaxInstances: 10, globalMaxInstances: 20 },
    );
    world.advance(STALLED_LAUNCH_SECONDS + 1);

    const report = await runReaperPass(world.reaperDeps);

    expect(report.retired).toEqual({ stalled_launch: 1 });
    expect((await world.runners.ledger()).global).toBe(0);
  });

  it("terminates an instance with no runner record after the grace period, not before", async () => {
    const world = await makeWorld();
    const pool = world.deps.config.pools[0]!;
    await world.compute.launch({
      launchId: "linux-arm-lost",
      count: 1,
      pool,
      waitTimeoutSeconds: 300,
    });
    const [orphan] = await world.compute.listInstances();
    const launchedAt = Date.parse(orphan!.launchedAt);
    world.setTime(new Date(launchedAt + (ORPHAN_GRACE_SECONDS - 10) * 1000).toISOString());
    const early = await runReaperPass(world.reaperDeps);
    world.setTime(new Date(launchedAt + (ORPHAN_GRACE_SECONDS + 1) * 1000).toISOString());

    const late = await runReaperPass(world.reaperDeps);

    expect(early.orphanInstances).toBe(0);
    expect(late.orphanInstances).toBe(1);
    expect(await world.compute.listInstances()).toEqual([]);
  });

  it("keeps a shared launch's instances while one of its runners is still launching, and terminates them once it is gone", async () => {
    const world = await makeWorld();
    const pool = world.deps.config.pools[0]!;
    const at = world.clock.now().toISOString();
    await world.compute.launch({
      launchId: "linux-arm-l1",
      count: 2,
      pool,
      waitTimeoutSeconds: 300,
    });
    await world.runners.reserve(
      { name: "linux-arm-l2", pool: pool.name, state: "reserved", createdAt: at, updatedAt: at },
      { poolMaxInstances: 10, globalMaxInstances: 20 },
    );
    // The launch's first runner is gone; its second is still launching (its pass died), and
    // either instance may be the one it was paired with.
    await world.runners.transition(
      "linux-arm-l2",
      ["reserved"],
      { state: "launching", launchId: "linux-arm-l1", launchIndex: 1, launchSize: 2 },
      world.clock.now(),
    );
    world.advance(ORPHAN_GRACE_SECONDS + 1);
    const whileLaunching = await runReaperPass(world.reaperDeps);
    world.advance(STALLED_LAUNCH_SECONDS);
    const stalled = await runReaperPass(world.reaperDeps);

    const afterwards = await runReaperPass(world.reaperDeps);

    expect(whileLaunching.orphanInstances).toBe(0);
    expect(stalled.retired).toEqual({ stalled_launch: 1 });
    expect(stalled.orphanInstances + afterwards.orphanInstances).toBe(2);
    expect(await nothingLeft(world)).toEqual(NOTHING_LEFT);
  });

  it("deletes our GitLab runners whose record is gone, and leaves everyone else's alone", async () => {
    const world = await makeWorld();
    const base = {
      runnerType: "group_type" as const,
      groupId: 42,
      tagList: [],
      runUntagged: true,
      maximumTimeout: 60,
      accessLevel: "not_protected" as const,
    };
    const ours = await world.gitlab.createRunner({
      ...base,
      description: "ci-autoscaler/linux-arm-retired",
    });
    const theirs = await world.gitlab.createRunner({ ...base, description: "team-runner-1" });

    const report = await runReaperPass(world.reaperDeps);

    expect(report.orphanGitlabRunners).toBe(1);
    expect([...world.gitlab.runners.keys()]).toEqual([theirs.id]);
    expect(world.gitlab.runners.has(ours.id)).toBe(false);
  });

  it("deletes a duplicate GitLab runner left by a crashed registration after the grace period", async () => {
    const { world, runner, polls, moveTo, jobTaken } = await withRunner();
    await jobTaken();
    const duplicate = await world.gitlab.createRunner({
      runnerType: "group_type",
      groupId: 42,
      description: `ci-autoscaler/${runner.name}`,
      tagList: [],
      runUntagged: true,
      maximumTimeout: 60,
      accessLevel: "not_protected",
    });
    polls(); // ours took job 31 and runs it
    await moveTo("busy");
    world.advance(ORPHAN_GRACE_SECONDS + 1);

    await runReaperPass(world.reaperDeps);

    expect(world.gitlab.runners.has(duplicate.id)).toBe(false);
    expect(world.gitlab.runners.has(runner.gitlabRunnerId!)).toBe(true);
  });

  it("carries out the other actions when one fails, and reports it", async () => {
    const world = await makeWorld();
    for (const jobId of [31, 32]) await world.addPendingJob(jobId, ["linux"]);
    await runScalerPass(world.deps);
    const [first, second] = await world.runners.listLive();
    for (const runner of [first!, second!])
      await world.runners.transition(
        runner.name,
        ["booting"],
        { state: "finished" },
        world.clock.now(),
      );
    // GitLab answers 503 for the first runner only.
    const registry = world.gitlab;
    const flaky: typeof registry = Object.create(registry, {
      getRunner: {
        value: async (id: number) => {
          if (id === first!.gitlabRunnerId) throw new GitLabApiError("GitLab answered 503", 503);
          return registry.getRunner(id);
        },
      },
    });

    const report = await runReaperPass({ ...world.reaperDeps, registry: flaky });

    expect(report.retired).toEqual({ finished: 1 });
    expect(report.failedActions).toEqual([
      expect.objectContaining({ kind: "retire", target: first!.name, code: "GitLabApiError" }),
    ]);
    expect(await world.runners.get(second!.name)).toMatchObject({ state: "gone" });
    expect(await world.runners.get(first!.name)).toMatchObject({ state: "finished" });
  });

  it("finishes a retirement whose instance is gone after half a minute, not two", async () => {
    const { world, runner } = await withRunner();
    await world.compute.terminate([runner.instanceId!]);
    await world.runners.transition(
      runner.name,
      ["booting"],
      { state: "retiring" },
      world.clock.now(),
    );
    world.advance(RETIREMENT_IN_FLIGHT_SECONDS - 1);
    const inFlight = await runReaperPass(world.reaperDeps);
    world.advance(2);

    const report = await runReaperPass(world.reaperDeps);

    expect(inFlight.retired).toEqual({});
    expect(report.retired).toEqual({ retirement_retry: 1 });
    expect(await nothingLeft(world)).toEqual(NOTHING_LEFT);
  });

  it("lets only one of two reapers at once do the work", async () => {
    const { world, moveTo, jobTaken } = await withRunner();
    await jobTaken();
    await moveTo("finished");

    // Both ask for the lease before either goes on: "at once", however the store schedules them.
    let asked = 0;
    let bothAsked: () => void = () => undefined;
    const together = new Promise<void>((resolve) => {
      bothAsked = resolve;
    });
    const lease = {
      tryAcquire: async (...args: Parameters<typeof world.lease.tryAcquire>) => {
        const acquired = await world.lease.tryAcquire(...args);
        if (++asked === 2) bothAsked();
        await together;
        return acquired;
      },
      release: (...args: Parameters<typeof world.lease.release>) => world.lease.release(...args),
    };
    const deps = { ...world.reaperDeps, lease };

    const [first, second] = await Promise.all([runReaperPass(deps), runReaperPass(deps)]);

    expect([first.skipped, second.skipped].sort()).toEqual([false, true]);
    expect(world.compute.terminateCalls).toBe(1);
    expect(world.gitlab.calls.deleteRunner).toBe(1);
    expect(await nothingLeft(world)).toEqual(NOTHING_LEFT);
  });

  it("reports what it would do on a dry run, and does none of it", async () => {
    const { world, moveTo, jobTaken } = await withRunner();
    await jobTaken();
    await moveTo("finished");

    const report = await runReaperPass(world.reaperDeps, { dryRun: true });

    expect(report.actions).toEqual([
      expect.objectContaining({ kind: "retire", reason: "finished" }),
    ]);
    expect(await nothingLeft(world)).toMatchObject({ live: 1, instances: 1, gitlabRunners: 1 });
  });
});
