import type { PoolControls } from "@ger/core/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEEKDAY_OFFICE_HOURS } from "../../../test/support/clock";
import { configInput } from "../../../test/support/config";
import { createTestTable, type TestTable } from "../../../test/support/dynamodb";
import { stateWorlds } from "../../../test/support/state-worlds";
import {
  DynamoPoolControls,
  InMemoryPoolControls,
  readControlPlaneStatus,
  runReaperPass,
  runScalerPass,
} from "../src/index";

describe.each(stateWorlds())("draining a pool, state %s", (_, makeWorld) => {
  it("stops new launches in it", async () => {
    const world = await makeWorld();
    await world.poolControls.setDrained("linux-arm", true);
    await world.addPendingJob(71, ["linux"]);

    const report = await runScalerPass(world.deps);

    expect(report.pools[0]).toMatchObject({ pool: "linux-arm", pending: 0, started: 0 });
    expect(world.compute.launchCalls).toBe(0);
  });

  it("sends its jobs to the next pool that matches them", async () => {
    const config = configInput();
    config.pools[1] = { ...config.pools[1]!, tags: ["linux", "gpu"] };
    const world = await makeWorld(config);
    await world.poolControls.setDrained("linux-arm", true);
    await world.addPendingJob(72, ["linux"], 7); // project 7: both pools may serve it

    const report = await runScalerPass(world.deps);

    expect(report.pools[1]).toMatchObject({ pool: "gpu", pending: 1, launched: 1 });
  });

  it("lets the reaper retire its warm runners despite idle_count", async () => {
    const world = await makeWorld();
    world.setTime(WEEKDAY_OFFICE_HOURS.toISOString()); // office hours in Berlin: idle_count 2
    await runScalerPass(world.deps);
    for (const runner of await world.runners.listLive()) {
      await world.runners.transition(
        runner.name,
        ["booting"],
        { state: "idle" },
        world.clock.now(),
      );
    }
    await world.poolControls.setDrained("linux-arm", true);
    world.advance(60);

    const report = await runReaperPass(world.reaperDeps);

    // At once, not after idle_time: a drained pool keeps no idle runner.
    expect(report.retired).toEqual({ drained: 2 });
  });

  it("starts no warm runners for a drained pool in office hours", async () => {
    const world = await makeWorld();
    world.setTime(WEEKDAY_OFFICE_HOURS.toISOString());
    await world.poolControls.setDrained("linux-arm", true);

    const report = await runScalerPass(world.deps);

    expect(report.pools[0]).toMatchObject({ pool: "linux-arm", started: 0 });
    expect(world.compute.launchCalls).toBe(0);
  });

  it("shows a drained pool's runners under DRAINING in status", async () => {
    const world = await makeWorld();
    world.setTime(WEEKDAY_OFFICE_HOURS.toISOString());
    await runScalerPass(world.deps);
    await world.poolControls.setDrained("linux-arm", true);

    const status = await readControlPlaneStatus({
      ...world.deps,
      poolControls: world.poolControls,
    });

    expect(status.pools[0]).toMatchObject({
      name: "linux-arm",
      drained: true,
      creating: 0,
      booting: 0,
      idle: 0,
      draining: 2,
    });
    expect(status.pools[1]).toMatchObject({ name: "gpu", drained: false });
  });
});

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

describe.each([
  ["in memory", (): PoolControls => new InMemoryPoolControls()],
  [
    "DynamoDB Local",
    (): PoolControls => new DynamoPoolControls(table.documentClient, table.tableName),
  ],
])("PoolControls contract: %s", (_, makeControls) => {
  it("drains and undrains pools", async () => {
    const controls = makeControls();

    await controls.setDrained("a", true);
    await controls.setDrained("b", true);
    await controls.setDrained("a", false);

    expect([...(await controls.drainedPools())]).toEqual(["b"]);
  });
});
