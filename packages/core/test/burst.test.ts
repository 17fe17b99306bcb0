import { describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import { scalerWorld } from "../../../test/support/scaler-world";
import {
  GitLabApiError,
  handleInstanceEvent,
  observeJobProgress,
  reconcileDemand,
  runReaperPass,
  runScalerPass,
} from "../src/index";

const JOBS = 1000;
const GITLAB_REQUESTS_PER_MINUTE = 600; // GitLab's default per-user limit on self-managed
const BOOT_SECONDS = 30;
const JOB_SECONDS = 60;
const TICK_SECONDS = 10;

/** The step's result, or undefined where GitLab's rate limit failed it; other errors fail. */
const unlessThrottled = async <T>(step: () => Promise<T>): Promise<T | undefined> => {
  try {
    return await step();
  } catch (error) {
    if (error instanceof GitLabApiError && error.status === 429) return undefined;
    throw error;
  }
};

/**
 * 1,000 jobs arrive at once while GitLab allows 600 API calls a minute. Runners boot, ask GitLab
 * for a job (it hands out the oldest pending one), run it and power off, as run-single does; the
 * scaler runs every tick and the reaper every minute, each pass (or launch) failing wherever GitLab
 * says 429.
 * The control plane must keep making progress (no minute without a job starting while jobs wait),
 * never pass a cap, and end with nothing left behind.
 */
describe("a burst of 1,000 jobs against GitLab's rate limit", () => {
  it("serves every job without stalling, within the caps, and leaves nothing behind", async () => {
    const config = configInput();
    config.max_instances = 200;
    config.pools[0]!.max_instances = 200;
    const world = scalerWorld(config, { gitlabRequestsPerMinute: GITLAB_REQUESTS_PER_MINUTE });
    for (let jobId = 1; jobId <= JOBS; jobId++) await world.addPendingJob(jobId, ["linux"]);
    await world.demand.noteProjectActivity(5, world.clock.now()); // as the webhook does
    const burstAt = world.clock.now().getTime();
    const startedAt = new Map<number, number>();
    const finished = new Set<number>();
    let throttledPasses = 0;
    let peakSlots = 0;
    let longestWaitWithoutStart = 0;
    let lastStart = world.clock.now().getTime();

    for (let tick = 0; tick < 720 && finished.size < JOBS; tick++) {
      const now = world.clock.now();
      const scaled = await unlessThrottled(() => runScalerPass(world.deps));
      // A launch fails on its own: one GitLab throttled is reported, and the pass goes on.
      const launchErrors = scaled?.pools.flatMap((pool) => pool.errors) ?? [];
      for (const error of launchErrors) expect(error.message).toMatch(/answered 429/);
      if (!scaled || launchErrors.length > 0) throttledPasses += 1;
      if (tick % (60 / TICK_SECONDS) === 0) {
        if (!(await unlessThrottled(() => runReaperPass(world.reaperDeps)))) throttledPasses += 1;
        if (!(await unlessThrottled(() => reconcileDemand(world.reaperDeps)))) throttledPasses += 1;
      }

      for (const runner of await world.runners.listLive()) {
        const instance = runner.instanceId && world.compute.instances.get(runner.instanceId);
        const gitlabRunner = world.gitlab.runners.get(runner.gitlabRunnerId ?? -1);
        if (!instance || instance.state === "terminated" || !gitlabRunner) continue;
        const up = now.getTime() - Date.parse(runner.createdAt) >= BOOT_SECONDS * 1000;
        if (!up) continue;
        const current =
          runner.jobId === undefined ? undefined : world.gitlab.jobs.get(runner.jobId);
        if (!current) {
          // run-single asks for a job: GitLab hands out the oldest pending one it may take.
          const next = world.gitlab.model.requestJob(gitlabRunner.id);
          if (!next) continue;
          startedAt.set(next.id, now.getTime());
          lastStart = now.getTime();
          const running = { jobId: next.id, projectId: 5, status: "running" as const };
          await world.demand.recordJobEvent({ ...running, runnerId: gitlabRunner.id }, now);
          await observeJobProgress(world.deps, [{ ...running, runnerId: gitlabRunner.id }]);
        } else if (now.getTime() - (startedAt.get(current.id) ?? 0) >= JOB_SECONDS * 1000) {
          world.gitlab.model.finishJob(current.id, "success");
          finished.add(current.id);
          const done = { jobId: current.id, projectId: 5, status: "success" as const };
          await world.demand.recordJobEvent({ ...done, runnerId: gitlabRunner.id }, now);
          await observeJobProgress(world.deps, [{ ...done, runnerId: gitlabRunner.id }]);
          // The instance powers itself off; EC2's state-change event retires the runner (or, if
          // GitLab throttles the deletion, the reaper does on a later pass).
          instance.state = "terminated";
          await unlessThrottled(() =>
            handleInstanceEvent(world.deps, {
              kind: "state_change",
              instanceId: instance.instanceId,
              state: "terminated",
            }),
          );
        }
      }

      peakSlots = Math.max(peakSlots, (await world.runners.ledger()).global);
      if (finished.size + startedAt.size < 2 * JOBS && startedAt.size < JOBS) {
        longestWaitWithoutStart = Math.max(longestWaitWithoutStart, now.getTime() - lastStart);
      }
      world.advance(TICK_SECONDS);
    }
    const drainedAfterMinutes = (world.clock.now().getTime() - burstAt) / 60_000;
    // Let the reaper clean up what throttled events left behind.
    for (let pass = 0; pass < 10 && (await world.runners.listLive()).length > 0; pass++) {
      world.advance(60);
      await unlessThrottled(() => runReaperPass(world.reaperDeps));
    }

    expect(finished.size).toBe(JOBS);
    // Virtual time: 5 rounds of 200 runners (boot + job = 1.5 min) and ~3,000 calls at 600/min.
    expect(drainedAfterMinutes).toBeLessThanOrEqual(15);
    expect(world.gitlab.throttled).toBeGreaterThan(0); // the limit was really in the way
    expect(throttledPasses).toBeGreaterThan(0);
    expect(longestWaitWithoutStart).toBeLessThanOrEqual(120_000);
    expect(peakSlots).toBeLessThanOrEqual(200);
    expect({
      live: (await world.runners.listLive()).length,
      slots: (await world.runners.ledger()).global,
      gitlabRunners: world.gitlab.runners.size,
      instances: (await world.compute.listInstances()).length,
      tokens: world.tokens.stored,
    }).toEqual({ live: 0, slots: 0, gitlabRunners: 0, instances: 0, tokens: 0 });
  });
});
