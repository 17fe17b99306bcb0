import { InternalServerError, ThrottlingException } from "@aws-sdk/client-ssm";
import type { ScalerDependencies } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { scalerWorld } from "../../../test/support/scaler-world";
import { runScalerPass, scalerMetrics } from "../src/index";

/** The deps with one port method answering `error` on its `occurrence`-th call. */
const failing = (
  deps: ScalerDependencies,
  port: "tokens" | "runners",
  method: string,
  error: Error,
  occurrence = 1,
): ScalerDependencies => {
  const original = deps[port] as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  let calls = 0;
  const wrapped = new Proxy(original, {
    get(object, property) {
      const value = Reflect.get(object, property);
      if (typeof value !== "function") return value;
      if (property !== method) return value.bind(object);
      return async (...args: unknown[]) => {
        calls += 1;
        if (calls === occurrence) throw error;
        return value.apply(object, args);
      };
    },
  });
  return { ...deps, [port]: wrapped };
};

const ssmThrottle = () =>
  new ThrottlingException({
    message: "Rate exceeded",
    Message: "Rate exceeded",
    $metadata: { httpStatusCode: 400 },
  });

const ssmFailure = () =>
  new InternalServerError({
    message: "An internal error occurred",
    $metadata: { httpStatusCode: 500 },
  });

describe("a launch that fails or is resumed part-way", () => {
  it("finishes a launch resumed after its instance already took and deleted its token", async () => {
    const world = scalerWorld();
    await world.addPendingJob(21, ["linux"]);
    // The pass dies after the grant, before the record says booting.
    await runScalerPass(failing(world.deps, "runners", "transition", new Error("timeout"), 3));
    const [stalled] = await world.runners.listLive();
    expect(stalled).toMatchObject({ state: "launching" });
    const [instance] = [...world.compute.instances.values()];
    // The instance boots, reads its token and deletes it, as its user-data does.
    expect(world.tokens.read(instance!.instanceId)).toMatch(/^glrt-/);
    await world.tokens.remove(stalled!.name, instance!.instanceId);

    world.advance(61);
    const report = await runScalerPass(world.deps);

    expect(report.resumed).toBe(1);
    expect(report.pools.flatMap((pool) => pool.errors)).toEqual([]);
    expect(await world.runners.get(stalled!.name)).toMatchObject({
      state: "booting",
      instanceId: instance!.instanceId,
    });
  });

  it("launches the other runners when one runner's step fails, and reports that one", async () => {
    const world = scalerWorld();
    for (const jobId of [31, 32, 33]) await world.addPendingJob(jobId, ["linux"]);

    const report = await runScalerPass(failing(world.deps, "tokens", "grant", ssmThrottle()));

    const [pool] = report.pools;
    expect(pool).toMatchObject({ pool: "linux-arm", started: 3, launched: 2 });
    expect(pool!.errors).toEqual([
      expect.objectContaining({ kind: "errored", code: "ThrottlingException" }),
    ]);
    expect(scalerMetrics(report)).toContainEqual({
      name: "LaunchFailures",
      value: 1,
      dimensions: { Pool: "linux-arm", Code: "ThrottlingException" },
    });
    // The failed one stays where it stood and a later pass finishes it.
    world.advance(61);
    await runScalerPass(world.deps);
    const live = await world.runners.listLive();
    expect(live.map((runner) => runner.state)).toEqual(["booting", "booting", "booting"]);
  });

  it("keeps launching for new demand, and for the job of a stalled launch, while that fails again on resume", async () => {
    const world = scalerWorld();
    await world.addPendingJob(41, ["linux"]);
    await runScalerPass(failing(world.deps, "runners", "transition", new Error("timeout"), 3));
    await world.addPendingJob(42, ["linux"]);
    world.advance(61);

    // The resumed launch's grant fails; the new job's launch (a later grant) goes through. (A
    // throttle would not be replaced: a second launch would need the same throughput.)
    const report = await runScalerPass(failing(world.deps, "tokens", "grant", ssmFailure()));

    expect(report.resumed).toBe(1);
    expect(report.pools[0]).toMatchObject({ launched: 2, supply: { stalled: 1 } });
    expect(report.pools[0]!.errors.map((error) => error.code)).toEqual(["InternalServerError"]);
  });

  it("gives a resumed launch's unheld places to the runners that never joined it, so no slot gets two instances", async () => {
    const world = scalerWorld();
    for (const jobId of [51, 52, 53]) await world.addPendingJob(jobId, ["linux"]);
    // The pass dies after the first runner joined the launch of three: every later record write
    // and the fleet request fail, as after a crash.
    let writes = 0;
    const runners = new Proxy(world.runners, {
      get(store, property) {
        const value = Reflect.get(store, property);
        if (typeof value !== "function") return value;
        if (property !== "transition") return value.bind(store);
        return async (...args: unknown[]) => {
          if (++writes > 4) throw new Error("the invocation died");
          return value.apply(store, args);
        };
      },
    });
    const compute = Object.create(world.compute, {
      launch: {
        value: async () => {
          throw new Error("the invocation died");
        },
      },
    });
    await runScalerPass({ ...world.deps, runners, compute });
    const states = (await world.runners.listLive()).map((runner) => runner.state).sort();
    world.advance(61);

    await runScalerPass(world.deps);

    expect(states).toEqual(["launching", "registered", "registered"]);
    const live = await world.runners.listLive();
    expect(live.map((runner) => runner.state)).toEqual(["booting", "booting", "booting"]);
    expect(new Set(live.map((runner) => runner.launchId)).size).toBe(1);
    expect((await world.compute.listInstances()).length).toBe(3);
  });
});
