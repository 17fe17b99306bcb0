import { describe, expect, it } from "vitest";
import { PoolExcuses } from "../src/invariants/pool-excuses";
import { VirtualTime } from "../src/world/virtual-time";
import { simConfig, simPool } from "./support/sim-config";

const START_MS = Date.UTC(2099, 10, 24, 10, 0, 0);
const REFILL_MS = 10_000;

/** One pool whose scope GitLab holds to a cap, the registrations in it set by the test. */
const excusesAtCap = () => {
  const time = new VirtualTime(new Date(START_MS));
  const config = simConfig([simPool({ name: "group" })]);
  const state = { atCap: false };
  const excuses = new PoolExcuses(
    config,
    time,
    { starvedForMs: 60_000, refillMs: REFILL_MS },
    () => state.atCap,
  );
  const registrations = async (atCap: boolean, afterMs: number) => {
    await time.runUntil(time.nowMillis + afterMs);
    state.atCap = atCap;
    excuses.registrationsChanged();
  };
  const excusedS = async (afterMs: number) => {
    await time.runUntil(time.nowMillis + afterMs);
    return excuses.total("group") / 1000;
  };
  return { registrations, excusedS };
};

describe("a pool's excuse at its scope's registered-runner cap", () => {
  it("holds through a slot refilled within the grace, as for a per-job runner replaced", async () => {
    const world = excusesAtCap();
    await world.registrations(true, 0);
    await world.registrations(false, 30_000);
    await world.registrations(true, REFILL_MS - 1000);

    expect(await world.excusedS(20_000)).toBe(30 + 9 + 20);
  });

  it("ends when the slot stays free past the grace, counted from then", async () => {
    const world = excusesAtCap();
    await world.registrations(true, 0);
    await world.registrations(false, 30_000);

    expect(await world.excusedS(60_000)).toBe(30 + REFILL_MS / 1000);
  });

  it("gives no grace to a scope that was never at its cap", async () => {
    const world = excusesAtCap();
    await world.registrations(false, 0);

    expect(await world.excusedS(60_000)).toBe(0);
  });
});
