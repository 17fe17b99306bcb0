import { describe, expect, it } from "vitest";
import { scalerWorld } from "../../../test/support/scaler-world";
import {
  MAX_PASSED_OVER,
  PROJECT_GROUPS_TTL_SECONDS,
  retireRunner,
  runReaperPass,
  runScalerPass,
  scalerMetrics,
} from "../src/index";

describe("routing by the pool's GitLab scope", () => {
  it("launches nothing for a job of a project outside every pool's scope, and says why", async () => {
    const world = scalerWorld();
    // linux-arm is group 42's; project 99 is in group 5, so GitLab never hands it those runners.
    world.gitlab.model.projects.set(99, { groupId: 5 });
    await world.addPendingJob(81, ["linux"], 99);

    const report = await runScalerPass(world.deps);

    expect(report.unroutable).toEqual([{ jobId: 81, reason: "outside_every_pool_scope" }]);
    expect(world.compute.launchCalls).toBe(0);
  });

  it("reads a project's groups once a pass for all its jobs, and keeps them on the jobs", async () => {
    const world = scalerWorld();
    for (const jobId of [82, 83]) await world.addPendingJob(jobId, ["linux"], 5);

    const first = await runScalerPass(world.deps);
    const callsAfterFirst = world.gitlab.calls.projectGroupIds;
    await runScalerPass(world.deps);

    expect(first.pools[0]).toMatchObject({ pool: "linux-arm", launched: 2 });
    expect(callsAfterFirst).toBe(1);
    expect(world.gitlab.calls.projectGroupIds).toBe(1);
    expect(await world.demand.listPendingJobs(world.clock.now())).toEqual([
      expect.objectContaining({ jobId: 82, groupIds: [42] }),
      expect.objectContaining({ jobId: 83, groupIds: [42] }),
    ]);
  });

  it("keeps a project's groups across passes for an hour", async () => {
    const world = scalerWorld();
    await world.addPendingJob(86, ["linux"], 5);
    await runScalerPass(world.deps);

    world.advance(PROJECT_GROUPS_TTL_SECONDS - 1);
    await world.addPendingJob(87, ["linux"], 5);
    await runScalerPass(world.deps);
    const readsWithinTheHour = world.gitlab.calls.projectGroupIds;
    world.advance(1);
    await world.addPendingJob(88, ["linux"], 5);
    const after = await runScalerPass(world.deps);

    expect(readsWithinTheHour).toBe(1);
    expect(world.gitlab.calls.projectGroupIds).toBe(2);
    expect(after.unroutable).toEqual([]);
  });

  it("reads again at once after a failed read of a project's groups", async () => {
    const world = scalerWorld();
    await world.addPendingJob(92, ["linux"], 5);
    // Its tags known already: the groups are the pass's only read.
    await world.demand.annotateJob(92, { tags: ["linux"] });
    world.gitlab.failures.push(503);
    const failed = await runScalerPass(world.deps);

    const again = await runScalerPass(world.deps);

    expect(failed.deferred).toEqual([92]);
    expect(again.pools[0]).toMatchObject({ pool: "linux-arm", launched: 1 });
    expect(world.gitlab.calls.projectGroupIds).toBe(2);
  });

  it("asks for no groups where no group pool has the job's tags", async () => {
    const world = scalerWorld();
    await world.addPendingJob(84, ["gpu"], 7);

    await runScalerPass(world.deps);

    expect(world.gitlab.calls.projectGroupIds).toBe(0);
  });
});

describe("a job the pool's runners never take", () => {
  /** The pool's runners come up and poll GitLab, which never hands them the job. */
  const comeUpIdle = async (world: ReturnType<typeof scalerWorld>) => {
    for (const runner of await world.runners.listLive())
      await world.runners.transition(
        runner.name,
        ["booting"],
        { state: "idle" },
        world.clock.now(),
      );
  };

  it(`stops launching for it after ${MAX_PASSED_OVER} idle runners polled past it, and reports it`, async () => {
    const world = scalerWorld();
    await world.addPendingJob(85, ["linux"]);

    const launchedPerPass: number[] = [];
    for (let round = 0; round <= MAX_PASSED_OVER; round++) {
      const report = await runScalerPass(world.deps);
      launchedPerPass.push(report.pools[0]!.launched);
      // Its runner waits out idle_time without getting the job, and the reaper retires it.
      await comeUpIdle(world);
      world.advance(301);
      await runReaperPass(world.reaperDeps);
    }
    const last = await runScalerPass(world.deps);

    expect(launchedPerPass).toEqual([1, 1, 1, 0]);
    expect(last.unserved).toEqual([85]);
    expect(scalerMetrics(last)).toContainEqual({ name: "JobsUnserved", value: 1 });
  });

  it("is not given up on when its runners never came up or took other jobs", async () => {
    const world = scalerWorld();
    await world.addPendingJob(86, ["linux"]);

    const launchedPerPass: number[] = [];
    for (let round = 0; round <= MAX_PASSED_OVER + 1; round++) {
      const report = await runScalerPass(world.deps);
      launchedPerPass.push(report.pools[0]!.launched);
      // Its runner never registered, or took an older job and went: nothing says it cannot run 86.
      for (const runner of await world.runners.listLive())
        await retireRunner(world.reaperDeps, runner);
      world.advance(601);
      await runReaperPass(world.reaperDeps);
    }

    expect(launchedPerPass).toEqual(Array(MAX_PASSED_OVER + 2).fill(1));
    const [job] = await world.demand.listPendingJobs(world.clock.now());
    expect(job).toMatchObject({ jobId: 86 });
    expect(job?.passedOver).toBeUndefined();
  });
});
