import type { JobStatus, RunnerStore, ScalerDependencies } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { stateWorlds, type World } from "../../../test/support/state-worlds";
import {
  GitLabApiError,
  handleInstanceEvent,
  observeJobProgress,
  progressOfJob,
  RETRY_CLAIM_SECONDS,
  reconcileDemand,
  runReaperPass,
  runScalerPass,
} from "../src/index";

/**
 * A job killed by a spot interruption is retried exactly once, whatever order the hooks and EC2's
 * events arrive in and whatever is lost (packages/simulator/FAULTS.md, core bugs 1, 3, 4 and 9).
 * The table's stream is played by `stream`: what the scaler gets for a stored job.
 */
describe.each(stateWorlds())("spot interruptions, state %s", (_, makeWorld) => {
  /** What the table's stream hands the scaler for the job as stored now, and the scaler's answer. */
  const stream = async (world: World, jobId: number) => {
    const job = (await world.demand.listJobs(world.clock.now())).find(
      (stored) => stored.jobId === jobId,
    );
    const progress = job && progressOfJob(job);
    return observeJobProgress(world.deps, progress ? [progress] : []);
  };

  /** A Job Hook for job 41 on the runner, as the webhook records it. */
  const hook = (world: World, gitlabRunnerId: number, status: JobStatus) =>
    world.demand.recordJobEvent(
      { jobId: 41, projectId: 5, status, runnerId: gitlabRunnerId },
      world.clock.now(),
    );

  /** A runner for job 41, booting; GitLab has handed it the job, and no hook has said so yet. */
  const runnerTookJob = async (world: World) => {
    await world.addPendingJob(41, ["linux"]);
    await runScalerPass(world.deps);
    const [runner] = await world.runners.listLive();
    world.gitlab.model.requestJob(runner!.gitlabRunnerId!);
    return runner!;
  };

  /** As gitlab-runner does when its instance shuts down: the job it runs is reported failed. */
  const jobsDieWithTheirInstance = (world: World) => {
    const terminate = world.compute.terminate.bind(world.compute);
    world.compute.terminate = async (instanceIds) => {
      await terminate(instanceIds);
      const running = world.gitlab.model.jobs.get(41);
      if (running?.status === "running") world.gitlab.model.finishJob(41, "failed");
    };
  };

  const spotWarning = (instanceId: string) => ({ kind: "spot_interruption", instanceId }) as const;
  const terminated = (instanceId: string) =>
    ({ kind: "state_change", instanceId, state: "terminated" }) as const;

  /** Job 41 runs on a spot runner, the warning came, and GitLab has failed the job. */
  const busyAndWarned = async () => {
    const world = await makeWorld();
    const runner = await runnerTookJob(world);
    await hook(world, runner.gitlabRunnerId!, "running");
    await stream(world, 41);
    await handleInstanceEvent(world.deps, spotWarning(runner.instanceId!));
    world.gitlab.model.finishJob(41, "failed");
    return { world, runner };
  };

  describe("a warning that comes before the running hook is processed (bug 1)", () => {
    it("retires the runner, and its job is retried once when it fails", async () => {
      const world = await makeWorld();
      const runner = await runnerTookJob(world);

      const outcome = await handleInstanceEvent(world.deps, spotWarning(runner.instanceId!));
      await hook(world, runner.gitlabRunnerId!, "running");
      world.gitlab.model.finishJob(41, "failed");
      await hook(world, runner.gitlabRunnerId!, "failed");
      const { retried } = await stream(world, 41);
      const replay = await stream(world, 41);

      expect(outcome).toBe("retired");
      expect(retried).toHaveLength(1);
      expect(replay.retried).toEqual([]);
      expect(world.gitlab.calls.retryJob).toBe(1);
      expect(world.gitlab.jobs.get(retried[0]!)).toMatchObject({ status: "pending" });
      expect(await world.runners.listLive()).toEqual([]);
      expect(world.gitlab.runners.size).toBe(0);
    });

    it("retries the job once from the retirement alone when every hook of it is lost", async () => {
      const world = await makeWorld();
      jobsDieWithTheirInstance(world);
      const runner = await runnerTookJob(world);

      await handleInstanceEvent(world.deps, spotWarning(runner.instanceId!));
      const { retried } = await stream(world, 41);

      expect(retried).toHaveLength(1);
      expect(world.gitlab.calls.retryJob).toBe(1);
    });

    it("marks the job when EventBridge delivers the warning again after the jobs query was throttled", async () => {
      const world = await makeWorld();
      const runner = await runnerTookJob(world);
      world.gitlab.failures.push(429);

      await expect(
        handleInstanceEvent(world.deps, spotWarning(runner.instanceId!)),
      ).rejects.toThrow("429");
      const stuck = await world.runners.get(runner.name);
      // Lambda retries a failed asynchronous invocation after about a minute.
      world.advance(60);
      const redelivered = await handleInstanceEvent(world.deps, spotWarning(runner.instanceId!));
      world.gitlab.model.finishJob(41, "failed");
      await hook(world, runner.gitlabRunnerId!, "failed");
      const { retried } = await stream(world, 41);

      expect(stuck).toMatchObject({ state: "retiring", spotWarnedAt: expect.any(String) });
      expect(world.compute.instances.get(runner.instanceId!)?.state).toBe("terminated");
      expect(redelivered).toBe("retired");
      expect(world.gitlab.calls.listRunnerJobs).toBe(2);
      expect(retried).toHaveLength(1);
    });

    it("marks the job when the reaper finishes a retirement whose jobs query failed", async () => {
      const world = await makeWorld();
      const runner = await runnerTookJob(world);
      world.gitlab.failures.push(503);
      await expect(
        handleInstanceEvent(world.deps, spotWarning(runner.instanceId!)),
      ).rejects.toThrow("503");
      world.advance(121);

      const report = await runReaperPass(world.reaperDeps);
      world.gitlab.model.finishJob(41, "failed");
      await hook(world, runner.gitlabRunnerId!, "failed");
      const { retried } = await stream(world, 41);

      expect(report.retired).toEqual({ retirement_retry: 1 });
      expect(retried).toHaveLength(1);
    });
  });

  describe("a busy runner's job whose failed hook is lost (bug 3)", () => {
    it("is retried once when its instance's terminated event retires the runner", async () => {
      const world = await makeWorld();
      const runner = await runnerTookJob(world);
      await hook(world, runner.gitlabRunnerId!, "running");
      await stream(world, 41);

      const warned = await handleInstanceEvent(world.deps, spotWarning(runner.instanceId!));
      // EC2 reclaims the instance two minutes later; the job dies, its failed hook is lost.
      world.advance(120);
      world.gitlab.model.finishJob(41, "failed");
      world.compute.instances.get(runner.instanceId!)!.state = "terminated";
      const retired = await handleInstanceEvent(world.deps, terminated(runner.instanceId!));
      const { retried } = await stream(world, 41);

      expect(warned).toBe("job_marked_interrupted");
      expect(retired).toBe("retired");
      expect(retried).toHaveLength(1);
      expect(world.gitlab.calls.retryJob).toBe(1);
    });
  });

  describe("a failure both the hook and the retirement report", () => {
    it("is retried once when the hook comes first", async () => {
      const { world, runner } = await busyAndWarned();

      await hook(world, runner.gitlabRunnerId!, "failed");
      const byHook = await stream(world, 41);
      await handleInstanceEvent(world.deps, terminated(runner.instanceId!));
      const byRetirement = await stream(world, 41);

      expect([byHook.retried.length, byRetirement.retried.length]).toEqual([1, 0]);
      expect(world.gitlab.calls.retryJob).toBe(1);
    });

    it("is retried once when the retirement comes first", async () => {
      const { world, runner } = await busyAndWarned();

      await handleInstanceEvent(world.deps, terminated(runner.instanceId!));
      const byRetirement = await stream(world, 41);
      await hook(world, runner.gitlabRunnerId!, "failed");
      const byHook = await stream(world, 41);

      expect([byRetirement.retried.length, byHook.retried.length]).toEqual([1, 0]);
      expect(world.gitlab.calls.retryJob).toBe(1);
    });
  });

  describe("a retry cut short after its claim (FAULTS.md bug 18)", () => {
    /** Job 41 failed in a spot interruption; the scaler's stream invocation dies inside its retry. */
    const retryCutShort = async (cut: (world: World) => ScalerDependencies) => {
      const { world, runner } = await busyAndWarned();
      await hook(world, runner.gitlabRunnerId!, "failed");
      const job = (await world.demand.listJobs(world.clock.now())).find((j) => j.jobId === 41);
      await expect(observeJobProgress(cut(world), [progressOfJob(job!)!])).rejects.toThrow();
      // Lambda redelivers the batch: the claim is taken, so the redelivery makes no retry.
      const redelivered = await stream(world, 41);
      return { world, redelivered };
    };
    const retriesOf41 = (world: World) =>
      [...world.gitlab.model.jobs.values()].filter((job) => job.id !== 41 && job.projectId === 5);
    /** GitLab makes the retry, and the invocation dies before it hears the answer. */
    const diesAfterRetry = (world: World): ScalerDependencies => {
      const { jobsApi } = world.deps;
      const dying = Object.create(jobsApi, {
        retryJob: {
          value: async (projectId: number, jobId: number) => {
            await jobsApi.retryJob(projectId, jobId);
            throw new Error("Task timed out after 30.00 seconds");
          },
        },
      });
      return { ...world.deps, jobsApi: dying };
    };

    it("is made by the reaper once the claim expired, when GitLab failed the retry", async () => {
      const { world, redelivered } = await retryCutShort((w) => ({
        ...w.deps,
        jobsApi: Object.create(w.deps.jobsApi, {
          retryJob: {
            value: async () => {
              throw new GitLabApiError("GitLab answered 502", 502);
            },
          },
        }),
      }));
      world.advance(RETRY_CLAIM_SECONDS);
      const early = await reconcileDemand(world.reaperDeps);
      world.advance(1);

      const late = await reconcileDemand(world.reaperDeps);

      expect(redelivered.retried).toEqual([]);
      expect(early.retriesResumed).toEqual([]);
      expect(late.retriesResumed).toHaveLength(1);
      expect(retriesOf41(world).map((job) => job.id)).toEqual(late.retriesResumed);
      // The retry is demand marked as such (on-demand), and the job is owed nothing more.
      const stored = await world.demand.listJobs(world.clock.now());
      expect(stored.find((j) => j.jobId === late.retriesResumed[0])).toMatchObject({
        status: "pending",
        retryOfInterrupted: true,
      });
      expect(stored.find((j) => j.jobId === 41)).toMatchObject({
        retriedAs: late.retriesResumed[0],
      });
      expect(await world.demand.listRetriesDue(world.clock.now())).toEqual([]);
    });

    it("is never made twice when the invocation died after GitLab made it, before settling", async () => {
      const { world } = await retryCutShort(diesAfterRetry);
      world.advance(RETRY_CLAIM_SECONDS + 1);

      const resumed = await reconcileDemand(world.reaperDeps);
      world.advance(RETRY_CLAIM_SECONDS + 1);
      const again = await reconcileDemand(world.reaperDeps);

      expect(retriesOf41(world)).toHaveLength(1);
      expect(resumed).toMatchObject({ retriesResumed: [], retriesRefused: 1 });
      expect(again).toMatchObject({ retriesResumed: [], retriesRefused: 0 });
      expect(world.gitlab.calls.retryJob).toBe(2);
      expect(await world.demand.listRetriesDue(world.clock.now())).toEqual([]);
    });
  });

  describe("a launch that died after CreateFleet, before its records learnt their instances (bug 4)", () => {
    /** The runner store with every move to booting failing, as a pass that died there. */
    const dyingBeforeBooting = (runners: RunnerStore): RunnerStore =>
      new Proxy(runners, {
        get(store, property) {
          const value = Reflect.get(store, property);
          if (typeof value !== "function") return value;
          if (property !== "transition") return value.bind(store);
          return async (...args: Parameters<RunnerStore["transition"]>) => {
            if (args[2].state === "booting") throw new Error("the invocation died");
            return value.apply(store, args);
          };
        },
      });

    const crashedLaunch = async (jobIds: number[]) => {
      const world = await makeWorld();
      for (const jobId of jobIds) await world.addPendingJob(jobId, ["linux"]);
      const deps: ScalerDependencies = {
        ...world.deps,
        runners: dyingBeforeBooting(world.runners),
      };
      await runScalerPass(deps);
      const records = await world.runners.listLive();
      // In launch order: by instance id (all spot here).
      const instances = [...world.compute.instances.keys()].sort();
      return { world, records, instances };
    };

    it("finds the runner of a spot-warned instance, retires it, and its job is retried once", async () => {
      const { world, records, instances } = await crashedLaunch([41]);
      const [record] = records;
      // The token was granted: the instance's runner came up and took job 41.
      world.gitlab.model.requestJob(record!.gitlabRunnerId!);

      const outcome = await handleInstanceEvent(world.deps, spotWarning(instances[0]!));
      world.gitlab.model.finishJob(41, "failed");
      await hook(world, record!.gitlabRunnerId!, "failed");
      const { retried } = await stream(world, 41);

      expect(record).toMatchObject({ state: "launching" });
      expect(record!.instanceId).toBeUndefined();
      expect(outcome).toBe("retired");
      expect(world.compute.instances.get(instances[0]!)?.state).toBe("terminated");
      expect(await world.runners.get(record!.name)).toMatchObject({
        state: "gone",
        instanceId: instances[0],
        spotWarnedAt: expect.any(String),
      });
      expect(world.gitlab.runners.size).toBe(0);
      expect(retried).toHaveLength(1);
    });

    it("gives each instance of a shared launch to the runner at its place, as the resumed launch does", async () => {
      const { world, records, instances } = await crashedLaunch([41, 42]);
      const byPlace = [...records].sort((a, b) => a.launchIndex! - b.launchIndex!);

      const outcome = await handleInstanceEvent(world.deps, spotWarning(instances[1]!));
      world.advance(61);
      await runScalerPass(world.deps);

      expect(records.map((record) => record.launchId)).toEqual([
        byPlace[0]!.name,
        byPlace[0]!.name,
      ]);
      expect(outcome).toBe("retired");
      expect(await world.runners.get(byPlace[1]!.name)).toMatchObject({
        state: "gone",
        instanceId: instances[1],
      });
      expect(await world.runners.get(byPlace[0]!.name)).toMatchObject({
        state: "booting",
        instanceId: instances[0],
      });
    });

    it("notes the warning on every runner EC2's facts fit, and the owner's job is retried once", async () => {
      const { world, records, instances } = await crashedLaunch([41, 42]);
      const byPlace = [...records].sort((a, b) => a.launchIndex! - b.launchIndex!);
      // The first instance is gone already: the second may be at place 0 or 1.
      await world.compute.terminate([instances[0]!]);
      world.gitlab.model.requestJob(byPlace[1]!.gitlabRunnerId!);

      const outcome = await handleInstanceEvent(world.deps, spotWarning(instances[1]!));
      const noted = await world.runners.listLive();
      // The scaler resumes the launch; EC2 reclaims the instance, the job's failed hook is lost.
      world.advance(61);
      await runScalerPass(world.deps);
      world.gitlab.model.finishJob(41, "failed");
      world.compute.instances.get(instances[1]!)!.state = "terminated";
      const retired = await handleInstanceEvent(world.deps, terminated(instances[1]!));
      const { retried } = await stream(world, 41);

      expect(outcome).toBe("warning_noted");
      expect(noted.map((runner) => [runner.state, runner.spotWarnedAt])).toEqual([
        ["launching", expect.any(String)],
        ["launching", expect.any(String)],
      ]);
      expect(world.compute.terminateCalls).toBe(1);
      expect(retired).toBe("retired");
      expect(retried).toHaveLength(1);
    });

    it("retires the runner when its instance ends, also without a warning", async () => {
      const { world, records, instances } = await crashedLaunch([41]);

      const outcome = await handleInstanceEvent(world.deps, {
        kind: "state_change",
        instanceId: instances[0]!,
        state: "shutting-down",
      });

      expect(outcome).toBe("retired");
      expect(world.compute.terminateCalls).toBe(0);
      expect(await world.runners.get(records[0]!.name)).toMatchObject({ state: "gone" });
    });
  });
});
