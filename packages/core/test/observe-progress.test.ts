import { describe, expect, it } from "vitest";
import { scalerWorld } from "../../../test/support/scaler-world";
import { observeJobProgress, runScalerPass } from "../src/index";

const launchedRunner = async () => {
  const world = scalerWorld();
  await world.addPendingJob(21, ["linux"]);
  await runScalerPass(world.deps);
  const [runner] = await world.runners.listLive();
  return { world, runner: runner! };
};

describe("observeJobProgress", () => {
  it("marks our runner busy when a hook says it took a job, then finished", async () => {
    const { world, runner } = await launchedRunner();

    const movedBusy = await observeJobProgress(world.deps, [
      {
        jobId: 21,
        projectId: 5,
        status: "running",
        runnerId: runner.gitlabRunnerId!,
        waitSeconds: 41,
      },
    ]);
    const busy = await world.runners.get(runner.name);
    const movedDone = await observeJobProgress(world.deps, [
      { jobId: 21, projectId: 5, status: "success", runnerId: runner.gitlabRunnerId! },
    ]);

    expect([movedBusy.runnersMoved, movedDone.runnersMoved]).toEqual([1, 1]);
    expect(movedBusy.waits).toEqual([{ pool: "linux-arm", seconds: 41 }]);
    expect(movedDone.waits).toEqual([]);
    expect(busy).toMatchObject({ state: "busy", jobId: 21 });
    expect(await world.runners.get(runner.name)).toMatchObject({ state: "finished", jobId: 21 });
  });

  it("lets the scaler start a runner for new demand once the first one is busy", async () => {
    const { world, runner } = await launchedRunner();
    const running = {
      jobId: 21,
      projectId: 5,
      status: "running" as const,
      runnerId: runner.gitlabRunnerId!,
    };
    await world.demand.recordJobEvent(running, world.clock.now());
    await observeJobProgress(world.deps, [running]);
    await world.addPendingJob(22, ["linux"]);

    const report = await runScalerPass(world.deps);

    expect(report.pools[0]).toMatchObject({ launched: 1 });
  });

  it("ignores hooks about runners that are not ours, and replays", async () => {
    const { world, runner } = await launchedRunner();
    await observeJobProgress(world.deps, [
      { jobId: 21, projectId: 5, status: "success", runnerId: runner.gitlabRunnerId! },
    ]);

    const moved = await observeJobProgress(world.deps, [
      { jobId: 99, projectId: 5, status: "running", runnerId: 4242 },
      { jobId: 21, projectId: 5, status: "running", runnerId: runner.gitlabRunnerId! },
    ]);

    expect(moved).toEqual({ runnersMoved: 0, retried: [], waits: [], leads: [] });
    expect(await world.runners.get(runner.name)).toMatchObject({ state: "finished" });
  });
});
