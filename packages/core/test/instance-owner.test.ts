import type { ComputeInstance, RunnerRecord } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { ownerOfUnrecordedInstance } from "../src/runners/instance-owner";

const AT = "2026-11-22T10:00:00.000Z";

/** A record of launch `L` at `launchIndex`, of `launchSize` runners. */
const record = (
  launchIndex: number,
  fields: Partial<RunnerRecord> = {},
  launchSize = 3,
): RunnerRecord => ({
  name: `runner-${launchIndex}`,
  pool: "linux-arm",
  state: "launching",
  createdAt: AT,
  updatedAt: AT,
  gitlabRunnerId: 100 + launchIndex,
  launchId: "L",
  launchIndex,
  launchSize,
  ...fields,
});

const instance = (instanceId: string, fields: Partial<ComputeInstance> = {}): ComputeInstance => ({
  instanceId,
  launchId: "L",
  pool: "linux-arm",
  market: "spot",
  state: "running",
  launchedAt: AT,
  ...fields,
});

const ownerName = (...args: Parameters<typeof ownerOfUnrecordedInstance>) => {
  const owner = ownerOfUnrecordedInstance(...args);
  return owner.kind === "owner" ? owner.runner.name : owner.kind;
};

describe("the runner of an instance no record names", () => {
  it("is the launch's runner at the instance's place, by instance id", () => {
    const runners = [record(0), record(1), record(2)];
    const instances = [instance("i-0c"), instance("i-0a"), instance("i-0b")];

    expect(["i-0a", "i-0b", "i-0c"].map((id) => ownerName(id, runners, instances))).toEqual([
      "runner-0",
      "runner-1",
      "runner-2",
    ]);
  });

  it("puts spot instances before on-demand ones, as a spot-then-on-demand launch returns them", () => {
    const runners = [record(0, {}, 2), record(1, {}, 2)];
    const instances = [instance("i-01", { market: "on-demand" }), instance("i-09")];

    expect(ownerName("i-09", runners, instances)).toBe("runner-0");
    expect(ownerName("i-01", runners, instances)).toBe("runner-1");
  });

  it("is the only record of a launch of one, also one from before launches were shared", () => {
    const legacy: RunnerRecord = {
      name: "runner-7",
      pool: "linux-arm",
      state: "launching",
      createdAt: AT,
      updatedAt: AT,
    };

    expect(ownerName("i-07", [legacy], [instance("i-07", { launchId: "runner-7" })])).toBe(
      "runner-7",
    );
  });

  it("is nobody for a place no runner joined, another pool's instance, or one EC2 does not list", () => {
    const runners = [record(1, {}, 2)];
    const instances = [
      instance("i-0a"),
      instance("i-0b"),
      instance("i-0c", { pool: "gpu", launchId: "L" }),
    ];

    expect(ownerName("i-0a", runners, instances)).toBe("none");
    expect(ownerName("i-0b", runners, instances)).toBe("runner-1");
    expect(ownerName("i-0c", runners, instances)).toBe("none");
    expect(ownerName("i-0d", runners, instances)).toBe("none");
  });

  it("is nobody once every record of the launch names its own instance", () => {
    const runners = [record(0, { instanceId: "i-0a", market: "spot", state: "booting" }, 1)];

    expect(ownerName("i-0b", runners, [instance("i-0a"), instance("i-0b")])).toBe("none");
  });

  it("is undecided when an instance gone from EC2's listing may come before it", () => {
    const runners = [record(0), record(1), record(2)];
    // One of the three is terminated: i-0b may be at place 0 or 1.
    const instances = [instance("i-0b"), instance("i-0c")];

    expect(ownerOfUnrecordedInstance("i-0b", runners, instances)).toMatchObject({
      kind: "ambiguous",
      candidates: [runners[0], runners[1]],
      maybeNone: false,
    });
  });

  it("is decided again by the records that name their instance, live or gone", () => {
    const runners = [
      record(0, { state: "gone", instanceId: "i-0a", market: "spot" }),
      record(1),
      record(2),
    ];
    // i-0a is terminated, no longer listed: the gone record still says it was at place 0.
    const instances = [instance("i-0b"), instance("i-0c")];

    expect(ownerName("i-0b", runners, instances)).toBe("runner-1");
    expect(ownerName("i-0c", runners, instances)).toBe("runner-2");
    expect(ownerName("i-0b", runners.slice(1), instances)).toBe("ambiguous");
  });
});
