import { describe, expect, it } from "vitest";
import { stateWorlds } from "../../../test/support/state-worlds";
import { observeJobProgress, runReaperPass, runScalerPass } from "../src/index";

describe.each(stateWorlds())("a Job Hook naming one of our runners, state %s", (_, makeWorld) => {
  /** Our runner has taken job 41 of project 5 in GitLab, and its running hook arrived. */
  const withBusyRunner = async () => {
    const world = await makeWorld();
    await world.addPendingJob(41, ["linux"]);
    await runScalerPass(world.deps);
    const [launched] = await world.runners.listLive();
    const gitlabRunnerId = launched!.gitlabRunnerId!;
    world.gitlab.model.requestJob(gitlabRunnerId);
    await observeJobProgress(world.deps, [
      { jobId: 41, projectId: 5, status: "running", runnerId: gitlabRunnerId },
    ]);
    return { world, name: launched!.name, gitlabRunnerId };
  };

  it("cannot end the runner's job by claiming another job finished on it", async () => {
    const { world, name, gitlabRunnerId } = await withBusyRunner();

    // Project 7's "success" for a job that never ran on our runner.
    const moved = await observeJobProgress(world.deps, [
      { jobId: 99, projectId: 7, status: "success", runnerId: gitlabRunnerId },
    ]);
    await runReaperPass(world.reaperDeps);

    expect(moved.runnersMoved).toBe(0);
    expect(await world.runners.get(name)).toMatchObject({ state: "busy", jobId: 41 });
    expect(world.gitlab.runners.has(gitlabRunnerId)).toBe(true);
  });

  it("cannot get a runner killed that GitLab says is running a job, whatever the hooks said", async () => {
    const world = await makeWorld();
    await world.addPendingJob(42, ["linux"]);
    await runScalerPass(world.deps);
    const [launched] = await world.runners.listLive();
    // It took job 42, but its running hook was lost; a forged success hook names it.
    world.gitlab.model.requestJob(launched!.gitlabRunnerId!);
    await observeJobProgress(world.deps, [
      { jobId: 77, projectId: 7, status: "success", runnerId: launched!.gitlabRunnerId! },
    ]);
    expect(await world.runners.get(launched!.name)).toMatchObject({ state: "finished" });

    const report = await runReaperPass(world.reaperDeps);

    expect(report.retired).toEqual({});
    expect(report.sparedBusy).toBe(1);
    expect(await world.runners.get(launched!.name)).toMatchObject({ state: "busy" });
    expect(world.compute.terminateCalls).toBe(0);
  });

  it("still lets the real end of the runner's own job finish it", async () => {
    const { world, name, gitlabRunnerId } = await withBusyRunner();
    world.gitlab.model.finishJob(41, "success");

    await observeJobProgress(world.deps, [
      { jobId: 41, projectId: 5, status: "success", runnerId: gitlabRunnerId },
    ]);
    const report = await runReaperPass(world.reaperDeps);

    expect(report.retired).toEqual({ finished: 1 });
    expect(await world.runners.get(name)).toMatchObject({ state: "gone" });
  });
});
