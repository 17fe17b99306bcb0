import { describe, expect, it } from "vitest";
import { scalerWorld } from "../../../test/support/scaler-world";
import { runScalerPass } from "../src/index";

describe("a launch IAM refuses (UnauthorizedOperation)", () => {
  it("stops launches for the pass instead of trying other pools, markets or runners", async () => {
    const world = scalerWorld();
    await world.addPendingJob(51, ["linux"]);
    await world.addPendingJob(53, ["gpu"], 7);
    world.compute.failures.push({
      kind: "failed",
      code: "UnauthorizedOperation",
      message:
        "You are not authorized to perform this operation. Encoded authorization failure message: AbC",
    });

    const report = await runScalerPass(world.deps);

    expect(world.compute.launchCalls).toBe(1);
    expect(report.launchDenied).toContain("Encoded authorization failure message");
    expect(report.pools.map((pool) => [pool.pool, pool.launched, pool.starved])).toEqual([
      ["linux-arm", 0, false],
      ["gpu", 0, false],
    ]);
    expect(report.pools[0]!.failures).toContain("UnauthorizedOperation");
    // Rolled back: no slot, GitLab runner or token is left for the refused launch.
    expect((await world.runners.ledger()).global).toBe(0);
    expect(world.gitlab.runners.size).toBe(0);
    expect(world.tokens.stored).toBe(0);
  });
});
