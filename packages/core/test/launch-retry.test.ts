import { ThrottlingException } from "@aws-sdk/client-ssm";
import type { RunnerRegistry, ScalerDependencies } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import { configInput } from "../../../test/support/config";
import { scalerWorld } from "../../../test/support/scaler-world";
import {
  GitLabApiError,
  LAUNCH_RETRY_SECONDS,
  nextRevisitSeconds,
  runReaperPass,
  runScalerPass,
  SCALER_REVISIT_WITHIN_SECONDS,
  STALLED_LAUNCH_SECONDS,
  supplyOf,
} from "../src/index";

/** The instant `seconds` after the worlds' start, as records write it. */
const after = (seconds: number) =>
  new Date(SUNDAY_MORNING.getTime() + seconds * 1000).toISOString();

/** A world with one pending job whose tags and groups are known: a pass's first GitLab call registers. */
const withJob = async (config = configInput()) => {
  const world = scalerWorld(config);
  await world.addPendingJob(21, ["linux"]);
  await world.demand.annotateJob(21, { tags: ["linux"], groupIds: [42] });
  return world;
};

/** The deps with GitLab refusing runner creation with `error`. */
const refusingRegistration = (deps: ScalerDependencies, error: Error): ScalerDependencies => {
  const registry = deps.registry;
  const refusing: RunnerRegistry = Object.create(registry, {
    createRunner: {
      value: async () => {
        throw error;
      },
    },
  });
  return { ...deps, registry: refusing };
};

describe("a launch step that fails", () => {
  it("deletes the GitLab runner whose token it could not store, so the retry leaves no orphan", async () => {
    const world = await withJob();
    const put = world.tokens.put.bind(world.tokens);
    let refusals = 1;
    world.tokens.put = async (name, token) => {
      if (refusals-- > 0)
        throw new ThrottlingException({
          Message: "Rate exceeded",
          message: "Rate exceeded",
          $metadata: {},
        });
      return put(name, token);
    };

    const failed = await runScalerPass(world.deps);
    const afterFailure = [...world.gitlab.model.runners.keys()];
    world.advance(LAUNCH_RETRY_SECONDS);
    await runScalerPass(world.deps);

    expect(failed.pools[0]!.errors).toEqual([
      expect.objectContaining({ code: "ThrottlingException" }),
    ]);
    expect(afterFailure).toEqual([]);
    const [record] = await world.runners.listLive();
    expect(record).toMatchObject({ state: "booting" });
    expect([...world.gitlab.model.runners.keys()]).toEqual([record!.gitlabRunnerId]);
  });

  it("is tried again by the next pass after 5 s, then after 10 s, not a minute later", async () => {
    const world = await withJob();
    world.gitlab.failures.push(500);
    const failed = await runScalerPass(world.deps);
    const [record] = await world.runners.listLive();
    world.advance(LAUNCH_RETRY_SECONDS - 1);
    const early = await runScalerPass(world.deps);
    world.advance(1);
    world.gitlab.failures.push(503);
    const again = await runScalerPass(world.deps);
    world.advance(2 * LAUNCH_RETRY_SECONDS);

    const last = await runScalerPass(world.deps);

    expect(failed.pools[0]!.errors).toEqual([
      expect.objectContaining({ code: "GitLabApiError", retryAt: after(LAUNCH_RETRY_SECONDS) }),
    ]);
    expect(failed.revisitAfterSeconds).toBe(LAUNCH_RETRY_SECONDS);
    expect(record).toMatchObject({
      state: "reserved",
      launchFailures: 1,
      lastError: "GitLabApiError: GitLab answered 500",
    });
    expect(early.resumed).toBe(0);
    expect(again).toMatchObject({ resumed: 1, revisitAfterSeconds: 2 * LAUNCH_RETRY_SECONDS });
    expect(last.resumed).toBe(1);
    expect(await world.runners.get(record!.name)).toMatchObject({ state: "booting" });
  });

  it("waits as long as GitLab's Retry-After asks when that is longer", async () => {
    const world = await withJob();
    const throttled = new GitLabApiError("GitLab answered 429", 429, 45);

    const report = await runScalerPass(refusingRegistration(world.deps, throttled));

    expect(report.revisitAfterSeconds).toBe(45);
    expect((await world.runners.listLive())[0]).toMatchObject({
      retryAt: after(45),
    });
  });

  it("is rolled back by the reaper once its reservation is older than the stall limit, however often it was retried", async () => {
    const world = await withJob();
    const refused = refusingRegistration(
      world.deps,
      new GitLabApiError("GitLab answered 500", 500),
    );
    for (let elapsed = 0; elapsed <= STALLED_LAUNCH_SECONDS; elapsed += 60) {
      await runScalerPass(refused);
      world.advance(60);
    }

    const names = (await world.runners.listLive()).map((runner) => runner.name);

    const report = await runReaperPass(world.reaperDeps);

    expect(report.retired).toEqual({ stalled_launch: 1 });
    expect(names).toHaveLength(2);
    expect((await world.runners.listLive()).map((runner) => runner.name)).toEqual([names[1]]);
    // The one replacement started for its job is younger, and the stall limit catches it later.
    expect(await world.runners.ledger()).toMatchObject({ global: 1 });
  });
});

describe("a launch that stalls", () => {
  it("no longer covers its job once a step failed: the next pass starts one more runner for it", async () => {
    const world = await withJob();
    world.gitlab.failures.push(500);
    await runScalerPass(world.deps);

    const next = await runScalerPass(world.deps);

    expect(next.pools[0]).toMatchObject({ started: 1, launched: 1, supply: { stalled: 1 } });
    expect((await world.runners.listLive()).map((runner) => runner.state).sort()).toEqual([
      "booting",
      "reserved",
    ]);
  });

  it("is replaced once at most, however many passes GitLab keeps failing", async () => {
    const world = await withJob();
    const refused = refusingRegistration(
      world.deps,
      new GitLabApiError("GitLab answered 503", 503),
    );
    for (let pass = 0; pass < 10; pass += 1) {
      await runScalerPass(refused);
      world.advance(LAUNCH_RETRY_SECONDS);
    }

    expect(await world.runners.listLive()).toHaveLength(2);
  });

  it("no longer covers its job once it has been on its way for longer than straggler_after", () => {
    // A crashed pass notes no failure: its record just stays where it stood.
    const reserved = { state: "reserved" as const, createdAt: after(0), updatedAt: after(0) };
    const rule = (seconds: number) => ({
      now: new Date(Date.parse(after(seconds))),
      afterSeconds: 30,
    });

    expect(supplyOf([reserved], rule(30))).toMatchObject({ creating: 1, stalled: 0 });
    expect(supplyOf([reserved], rule(31))).toMatchObject({ creating: 0, stalled: 1 });
    expect(supplyOf([{ ...reserved, launchFailures: 1 }], rule(0))).toMatchObject({ stalled: 1 });
    // Without a rule (the status view), it is simply on its way.
    expect(supplyOf([{ ...reserved, launchFailures: 1 }])).toMatchObject({ creating: 1 });
  });

  it("still covers its job after Parameter Store refused a step for its throughput, until straggler_after", () => {
    // A second launch for the job would need the same throughput, and throttle the first further.
    const throttled = {
      state: "registered" as const,
      createdAt: after(0),
      updatedAt: after(0),
      launchFailures: 2,
      lastError: "ThrottlingException: Rate exceeded",
    };
    const rule = (seconds: number) => ({
      now: new Date(Date.parse(after(seconds))),
      afterSeconds: 30,
    });

    expect(supplyOf([throttled], rule(30))).toMatchObject({ creating: 1, stalled: 0 });
    expect(supplyOf([throttled], rule(31))).toMatchObject({ creating: 0, stalled: 1 });
    expect(
      supplyOf([{ ...throttled, lastError: "GitLabApiError: 502 Bad Gateway" }], rule(0)),
    ).toMatchObject({ stalled: 1 });
  });
});

describe("revisits", () => {
  it("are asked for when a booting runner of a pool with pending jobs is about to straggle", async () => {
    const config = configInput();
    config.pools[0]!.straggler_after = "30s";
    const world = await withJob(config);

    const report = await runScalerPass(world.deps);
    world.advance(31);
    const late = await runScalerPass(world.deps);

    expect(report.revisitAfterSeconds).toBe(31);
    expect(late.pools[0]).toMatchObject({ started: 1, supply: { straggling: 1 } });
  });

  it("are not asked for when nothing is failing or booting", async () => {
    const world = scalerWorld();

    const report = await runScalerPass(world.deps);

    expect(report.revisitAfterSeconds).toBeUndefined();
  });

  it("are made by a scheduled invocation only within its window", () => {
    const startedAt = new Date("2026-11-22T10:00:00.000Z");
    const at = (seconds: number) => new Date(startedAt.getTime() + seconds * 1000);

    expect(nextRevisitSeconds({ revisitAfterSeconds: 10 }, startedAt, at(0))).toBe(10);
    expect(
      nextRevisitSeconds(
        { revisitAfterSeconds: 10 },
        startedAt,
        at(SCALER_REVISIT_WITHIN_SECONDS - 10),
      ),
    ).toBe(10);
    expect(
      nextRevisitSeconds(
        { revisitAfterSeconds: 10 },
        startedAt,
        at(SCALER_REVISIT_WITHIN_SECONDS - 9),
      ),
    ).toBeUndefined();
    expect(nextRevisitSeconds({}, startedAt, at(0))).toBeUndefined();
  });
});
