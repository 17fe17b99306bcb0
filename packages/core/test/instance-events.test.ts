import { describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import { stateWorlds, type World } from "../../../test/support/state-worlds";
import {
  handleInstanceEvent,
  observeJobProgress,
  RETIREMENT_IN_FLIGHT_SECONDS,
  RETRY_CLAIM_SECONDS,
  runReaperPass,
  runScalerPass,
} from "../src/index";

describe.each(stateWorlds())("EC2 instance events, state %s", (_, makeWorld) => {
  const busyRunner = async (given?: World) => {
    const world = given ?? (await makeWorld());
    await world.addPendingJob(41, ["linux"]);
    await runScalerPass(world.deps);
    const [runner] = await world.runners.listLive();
    world.gitlab.model.requestJob(runner!.gitlabRunnerId!); // GitLab hands it job 41
    const running = {
      jobId: 41,
      projectId: 5,
      status: "running" as const,
      runnerId: runner!.gitlabRunnerId!,
    };
    await world.demand.recordJobEvent(running, world.clock.now());
    await observeJobProgress(world.deps, [running]);
    return { world, runner: (await world.runners.get(runner!.name))! };
  };

  /** A busy spot runner is interrupted and its job fails: returns that job's progress, interrupted. */
  const interruptedJobFailed = async (world: World) => {
    const { runner } = await busyRunner(world);
    await handleInstanceEvent(world.deps, {
      kind: "spot_interruption",
      instanceId: runner.instanceId!,
    });
    world.gitlab.model.finishJob(41, "failed");
    const failed = {
      jobId: 41,
      projectId: 5,
      status: "failed" as const,
      runnerId: runner.gitlabRunnerId!,
    };
    await world.demand.recordJobEvent(failed, world.clock.now());
    return { ...failed, interrupted: true };
  };

  /** A busy spot runner is interrupted, its job fails and is retried: returns the retry's id. */
  const interruptedJobRetried = async (world: World) => {
    const failed = await interruptedJobFailed(world);
    const { retried } = await observeJobProgress(world.deps, [failed]);
    return { world, retryId: retried[0]! };
  };

  describe("handleInstanceEvent", () => {
    it("retires the runner of an instance that is shutting down, at once and without terminating it again", async () => {
      const { world, runner } = await busyRunner();

      const outcome = await handleInstanceEvent(world.deps, {
        kind: "state_change",
        instanceId: runner.instanceId!,
        state: "shutting-down",
      });

      expect(outcome).toBe("retired");
      expect(world.compute.terminateCalls).toBe(0);
      expect(world.gitlab.runners.size).toBe(0);
      expect(await world.runners.ledger()).toEqual({
        global: 0,
        byPool: { "linux-arm": 0 },
        byScope: { "group#42": 0 },
      });
    });

    it("ignores states that are not an ending, and instances that are not ours", async () => {
      const { world, runner } = await busyRunner();

      const running = await handleInstanceEvent(world.deps, {
        kind: "state_change",
        instanceId: runner.instanceId!,
        state: "running",
      });
      const stranger = await handleInstanceEvent(world.deps, {
        kind: "state_change",
        instanceId: "i-0stranger",
        state: "terminated",
      });

      expect([running, stranger]).toEqual(["ignored", "ignored"]);
      expect(await world.runners.get(runner.name)).toMatchObject({ state: "busy" });
    });

    it("retries an interrupted job GitLab failed to retry once its claim has expired, not at once", async () => {
      const world = await makeWorld();
      const failed = await interruptedJobFailed(world);
      world.gitlab.failures.push(429);

      await expect(observeJobProgress(world.deps, [failed])).rejects.toThrow("429");
      // The batch redelivered at once finds the claim held: no call to a GitLab that just failed.
      const redelivered = await observeJobProgress(world.deps, [failed]);
      world.advance(RETRY_CLAIM_SECONDS + 1);
      const later = await observeJobProgress(world.deps, [failed]);
      const again = await observeJobProgress(world.deps, [failed]);

      expect(redelivered.retried).toEqual([]);
      expect(later.retried).toHaveLength(1);
      expect(again.retried).toEqual([]);
      expect(world.gitlab.calls.retryJob).toBe(2);
    });

    it("retries, once, a job whose spot instance was interrupted when the job fails", async () => {
      const { world, runner } = await busyRunner();

      const outcome = await handleInstanceEvent(world.deps, {
        kind: "spot_interruption",
        instanceId: runner.instanceId!,
      });
      world.gitlab.model.finishJob(41, "failed");
      await world.demand.recordJobEvent(
        { jobId: 41, projectId: 5, status: "failed", runnerId: runner.gitlabRunnerId! },
        world.clock.now(),
      );
      const [job] = await world.demand.listJobs(world.clock.now());
      const failed = {
        jobId: 41,
        projectId: 5,
        status: "failed" as const,
        runnerId: runner.gitlabRunnerId!,
        interrupted: job!.interrupted,
      };
      const first = await observeJobProgress(world.deps, [failed]);
      const replay = await observeJobProgress(world.deps, [failed]);

      expect(outcome).toBe("job_marked_interrupted");
      expect(first.retried).toHaveLength(1);
      expect(world.gitlab.jobs.get(first.retried[0]!)).toMatchObject({
        status: "pending",
        tagList: ["linux"],
      });
      expect(replay.retried).toEqual([]);
      expect(world.gitlab.calls.retryJob).toBe(1);
    });

    it("records the retry as pending at once and gives it an on-demand runner", async () => {
      const { world, retryId } = await interruptedJobRetried(await makeWorld());

      const [retry] = await world.demand.listPendingJobs(world.clock.now());
      const report = await runScalerPass(world.deps);
      const onDemand = [...world.compute.instances.values()].filter(
        (instance) => instance.market === "on-demand",
      );

      expect(retry).toMatchObject({ jobId: retryId, tags: ["linux"], retryOfInterrupted: true });
      expect(report.pools[0]).toMatchObject({ pending: 1, launched: 1 });
      expect(onDemand).toHaveLength(1);
      // The first job's tags only (one listing of its project): the retry's came with it.
      expect(world.gitlab.calls).toMatchObject({ getJob: 0, listPendingJobs: 1 });
    });

    it("keeps the retry on the pool's market when retry_on_demand is off", async () => {
      const config = configInput();
      config.pools[0]!.instance.retry_on_demand = false;
      const { world } = await interruptedJobRetried(await makeWorld(config));

      await runScalerPass(world.deps);

      expect([...world.compute.instances.values()].map((instance) => instance.market)).toEqual([
        "spot",
        "spot",
      ]);
    });

    it("still marks the retry when its pending hook was recorded first", async () => {
      const { world, runner } = await busyRunner();
      await handleInstanceEvent(world.deps, {
        kind: "spot_interruption",
        instanceId: runner.instanceId!,
      });
      world.gitlab.model.finishJob(41, "failed");
      await world.demand.recordJobEvent(
        { jobId: 41, projectId: 5, status: "failed", runnerId: runner.gitlabRunnerId! },
        world.clock.now(),
      );
      const nextId = Math.max(...world.gitlab.jobs.keys()) + 1;
      await world.demand.recordJobEvent(
        { jobId: nextId, projectId: 5, status: "pending" },
        world.clock.now(),
      );

      await observeJobProgress(world.deps, [
        {
          jobId: 41,
          projectId: 5,
          status: "failed",
          runnerId: runner.gitlabRunnerId!,
          interrupted: true,
        },
      ]);

      const [retry] = await world.demand.listPendingJobs(world.clock.now());
      expect(retry).toMatchObject({ jobId: nextId, retryOfInterrupted: true });
    });

    it("does not retry an ordinary failure", async () => {
      const { world, runner } = await busyRunner();

      const outcome = await observeJobProgress(world.deps, [
        { jobId: 41, projectId: 5, status: "failed", runnerId: runner.gitlabRunnerId! },
      ]);

      expect(outcome.retried).toEqual([]);
    });

    it("retires an idle runner at once on an interruption warning: it has no job to lose", async () => {
      const world = await makeWorld();
      await world.addPendingJob(42, ["linux"]);
      await runScalerPass(world.deps);
      const [runner] = await world.runners.listLive();

      const outcome = await handleInstanceEvent(world.deps, {
        kind: "spot_interruption",
        instanceId: runner!.instanceId!,
      });

      expect(outcome).toBe("retired");
      expect(world.compute.terminateCalls).toBe(1);
    });
  });

  describe("retiring one runner from two events at once", () => {
    it("does the work once: one GitLab deletion, one release", async () => {
      const { world, runner } = await busyRunner();

      const outcomes = await Promise.all([
        handleInstanceEvent(world.deps, {
          kind: "state_change",
          instanceId: runner.instanceId!,
          state: "shutting-down",
        }),
        handleInstanceEvent(world.deps, {
          kind: "state_change",
          instanceId: runner.instanceId!,
          state: "terminated",
        }),
      ]);

      expect([...outcomes].sort()).toEqual(["ignored", "retired"]);
      expect(world.gitlab.calls.deleteRunner).toBe(1);
      expect(await world.runners.ledger()).toEqual({
        global: 0,
        byPool: { "linux-arm": 0 },
        byScope: { "group#42": 0 },
      });
    });

    it("is finished by its instance's redelivered event when its GitLab deletion failed", async () => {
      const { world, runner } = await busyRunner();
      const event = {
        kind: "state_change",
        instanceId: runner.instanceId!,
        state: "terminated",
      } as const;
      world.gitlab.failures.push(500);
      await expect(handleInstanceEvent(world.deps, event)).rejects.toThrow("500");
      const stuck = await world.runners.get(runner.name);

      // EventBridge delivers the failed event again: a second later the retirement may still be
      // in flight and is left alone; past that window it is finished, no reaper pass needed.
      world.advance(1);
      const early = await handleInstanceEvent(world.deps, event);
      world.advance(RETIREMENT_IN_FLIGHT_SECONDS);
      const outcome = await handleInstanceEvent(world.deps, event);

      expect(stuck).toMatchObject({ state: "retiring" });
      expect(early).toBe("ignored");
      expect(outcome).toBe("retired");
      expect(world.gitlab.calls.deleteRunner).toBe(2);
      expect(world.gitlab.runners.size).toBe(0);
      expect(await world.runners.ledger()).toEqual({
        global: 0,
        byPool: { "linux-arm": 0 },
        byScope: { "group#42": 0 },
      });
    });

    it("is not finished over a job its instance took after the retirement failed to end it", async () => {
      const { world, runner } = await busyRunner();
      // A retirement claimed it and died before TerminateInstances took effect: the instance
      // lives on, and its runner runs job 41.
      await world.runners.transition(
        runner.name,
        ["busy"],
        { state: "retiring" },
        world.clock.now(),
      );
      world.advance(121);

      const report = await runReaperPass(world.reaperDeps);

      expect(report.retired).toEqual({});
      expect(report.sparedBusy).toBe(1);
      expect(await world.runners.get(runner.name)).toMatchObject({ state: "busy" });
      expect((await world.compute.listInstances()).map((instance) => instance.instanceId)).toEqual([
        runner.instanceId,
      ]);
    });

    it("is finished by the reaper when it died part-way", async () => {
      const { world, runner } = await busyRunner();
      // The instance ended (what the event says), and the retirement's GitLab call then failed.
      await world.compute.terminate([runner.instanceId!]);
      world.gitlab.failures.push(500);
      await expect(
        handleInstanceEvent(world.deps, {
          kind: "state_change",
          instanceId: runner.instanceId!,
          state: "terminated",
        }),
      ).rejects.toThrow("500");
      const stuck = await world.runners.get(runner.name);
      world.advance(121);

      const report = await runReaperPass(world.reaperDeps);

      expect(stuck).toMatchObject({ state: "retiring" });
      expect(report.retired).toEqual({ retirement_retry: 1 });
      expect(world.gitlab.runners.size).toBe(0);
      expect(await world.runners.listLive()).toEqual([]);
    });
  });
});
