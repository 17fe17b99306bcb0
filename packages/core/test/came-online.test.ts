import { describe, expect, it } from "vitest";
import { WEEKDAY_OFFICE_HOURS } from "../../../test/support/clock";
import { stateWorlds, type World } from "../../../test/support/state-worlds";
import { readControlPlaneStatus, runReaperPass, runScalerPass } from "../src/index";

/** What run-single does once booted: it polls GitLab for a job (and finds none waiting). */
const runnersPoll = async (world: World) => {
  for (const runner of await world.runners.listLive())
    if (runner.gitlabRunnerId !== undefined) world.gitlab.model.contact(runner.gitlabRunnerId);
};

describe.each(stateWorlds())("a runner that came online, state %s", (_, makeWorld) => {
  it("is idle from its first poll, seen in the runner listing the reaper reads anyway", async () => {
    const world = await makeWorld();
    world.setTime(WEEKDAY_OFFICE_HOURS.toISOString()); // idle_count 2: two warm runners
    await runScalerPass(world.deps);
    world.advance(40);
    await runnersPoll(world);
    const readsBefore = world.gitlab.calls.getRunner;

    const report = await runReaperPass(world.reaperDeps);

    expect(report.cameOnline).toBe(2);
    expect(world.gitlab.calls.getRunner).toBe(readsBefore); // no call per runner
    const live = await world.runners.listLive();
    expect(live.map((runner) => [runner.state, runner.updatedAt])).toEqual([
      ["idle", world.clock.now().toISOString()],
      ["idle", world.clock.now().toISOString()],
    ]);
  });

  it("stays booting while GitLab has not heard from it", async () => {
    const world = await makeWorld();
    world.setTime(WEEKDAY_OFFICE_HOURS.toISOString());
    await runScalerPass(world.deps);
    world.advance(40);

    const report = await runReaperPass(world.reaperDeps);

    expect(report.cameOnline).toBe(0);
    expect((await world.runners.listLive()).map((runner) => runner.state)).toEqual([
      "booting",
      "booting",
    ]);
  });

  it("is not revived when its instance ended and the event was lost, though GitLab lists it online", async () => {
    const world = await makeWorld();
    world.setTime(WEEKDAY_OFFICE_HOURS.toISOString());
    await runScalerPass(world.deps);
    world.advance(40);
    await runnersPoll(world);
    const [gone, alive] = await world.runners.listLive();
    // Spot reclaimed it, or it powered off, and EventBridge's event never arrived.
    await world.compute.terminate([gone!.instanceId!]);

    const report = await runReaperPass(world.reaperDeps);
    world.advance(61);
    const next = await runReaperPass(world.reaperDeps);

    expect(report.cameOnline).toBe(1);
    expect(await world.runners.get(alive!.name)).toMatchObject({ state: "idle" });
    expect(next.retired).toEqual({ instance_gone: 1 });
    expect((await world.runners.listLive()).map((runner) => runner.name)).toEqual([alive!.name]);
  });

  it("lets a drain at office hours reach zero runners on the next pass, and stay there", async () => {
    const world = await makeWorld();
    world.setTime(WEEKDAY_OFFICE_HOURS.toISOString());
    await runScalerPass(world.deps);
    await world.poolControls.setDrained("linux-arm", true);
    world.advance(40);
    await runnersPoll(world);

    const report = await runReaperPass(world.reaperDeps);
    world.advance(60);
    await runScalerPass(world.deps);
    await runReaperPass(world.reaperDeps);

    expect(report.retired).toEqual({ drained: 2 });
    const status = await readControlPlaneStatus({
      ...world.deps,
      poolControls: world.poolControls,
    });
    expect(status.runners).toEqual([]);
    expect(status.pools[0]).toMatchObject({ name: "linux-arm", drained: true, draining: 0 });
    expect(world.gitlab.runners.size).toBe(0);
  });
});
