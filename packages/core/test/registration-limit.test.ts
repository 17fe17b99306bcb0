import { GitLabRestClient, parseAutoscalerConfig } from "@ger/core";
import { startGitlabDouble } from "@ger/local";
import { describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import { configInput } from "../../../test/support/config";
import { scalerWorld } from "../../../test/support/scaler-world";
import {
  DEFAULT_SCALER_LIMITS,
  REGISTRATION_REVISIT_SECONDS,
  registrationCapOf,
  runScalerPass,
  scalerMetrics,
} from "../src/index";
import { isRegisteredRunnerLimit } from "../src/scaler/registration-limit";

/** The test config with group 42's pool capped at `limit` registrations. */
const cappedConfig = (limit: number) => {
  const input = configInput();
  const [arm, gpu] = input.pools;
  return {
    ...input,
    pools: [{ ...arm!, runner: { ...arm!.runner, registered_runner_limit: limit } }, gpu!],
  };
};

describe("a GitLab scope's registered-runner cap", () => {
  it("is the smallest any pool of the scope sets, and none for instance runners", () => {
    const input = cappedConfig(5);
    const [arm] = input.pools;
    const config = parseAutoscalerConfig({
      ...input,
      pools: [
        ...input.pools,
        {
          ...arm!,
          name: "linux-arm-large",
          runner: { ...arm!.runner, registered_runner_limit: 3 },
        },
        {
          ...arm!,
          name: "anywhere",
          runner: { runner_type: "instance_type" },
        },
      ],
    });

    expect(config.pools.map((pool) => registrationCapOf(config, pool))).toEqual([
      { key: "group#42", limit: 3, source: "registered_runner_limit" },
      undefined,
      { key: "group#42", limit: 3, source: "registered_runner_limit" },
      undefined,
    ]);
  });

  it("is refused on an instance pool, whose runners GitLab does not cap", () => {
    const input = configInput();
    const [arm] = input.pools;

    expect(() =>
      parseAutoscalerConfig({
        ...input,
        pools: [
          {
            ...arm!,
            runner: { runner_type: "instance_type", registered_runner_limit: 10 } as never,
          },
        ],
      }),
    ).toThrow(/pools\.0\.runner\.registered_runner_limit/);
  });

  it("holds the pool to the cap, reports why, and the pool resumes when runners go", async () => {
    const world = scalerWorld(cappedConfig(2));
    for (const id of [101, 102, 103, 104, 105]) await world.addPendingJob(id, ["linux", "docker"]);

    const report = await runScalerPass(world.deps);

    const [arm] = report.pools;
    expect(arm).toMatchObject({
      launched: 2,
      registrationLimited: { scope: "group#42", limit: 2 },
    });
    expect(world.gitlab.model.listRunners({ groupId: 42 })).toHaveLength(2);
    expect((await world.runners.ledger()).byScope).toEqual({ "group#42": 2 });
    // A slot comes back when a runner retires, which wakes no scaler: the pass looks again soon.
    expect(report.revisitAfterSeconds).toBe(REGISTRATION_REVISIT_SECONDS);
    expect(scalerMetrics(report)).toContainEqual({
      name: "RegistrationLimited",
      value: 1,
      dimensions: { Pool: "linux-arm" },
    });
  });

  it("takes GitLab's own refusal as the limit: the slot back, no record left to retry", async () => {
    const world = scalerWorld();
    // GitLab's cap is tighter than the config knows.
    world.gitlab.model.registeredRunnerLimits.group.set(42, 1);
    for (const id of [101, 102, 103]) await world.addPendingJob(id, ["linux", "docker"]);

    const report = await runScalerPass(world.deps);
    const again = await runScalerPass(world.deps);

    expect(report.pools[0]).toMatchObject({
      launched: 1,
      errors: [],
      failures: ["RegisteredRunnerLimit", "RegisteredRunnerLimit"],
      registrationLimited: { scope: "group#42", limit: 1 },
    });
    expect(again.resumed).toBe(0);
    expect(await world.runners.listLive()).toHaveLength(1);
    expect((await world.runners.ledger()).global).toBe(1);
  });

  it("asks GitLab no more in a pass once it refused one for the cap", async () => {
    const world = scalerWorld();
    world.gitlab.model.registeredRunnerLimits.group.set(42, 0);
    for (let id = 101; id <= 120; id++) await world.addPendingJob(id, ["linux", "docker"]);

    const report = await runScalerPass(world.deps);

    // The ones already in flight when the first refusal came, at most; not all ten the pool wanted.
    expect(report.pools[0]?.started).toBe(10);
    expect(world.gitlab.calls.createRunner).toBeLessThanOrEqual(
      DEFAULT_SCALER_LIMITS.launchConcurrency,
    );
    expect(await world.runners.listLive()).toEqual([]);
  });

  it("is answered by the GitLab double as GitLab does, and recognised from the answer", async () => {
    const double = await startGitlabDouble({ clock: { now: () => SUNDAY_MORNING } });
    double.model.registeredRunnerLimits.project.set(7, 1);
    const client = new GitLabRestClient({
      baseUrl: double.url,
      token: async () => double.adminToken,
    });
    const request = {
      runnerType: "project_type" as const,
      projectId: 7,
      description: "ci-autoscaler/r",
      tagList: ["gpu"],
      runUntagged: false,
      maximumTimeout: 3600,
      accessLevel: "not_protected" as const,
    };
    try {
      await client.createRunner(request);
      const refusal = await client.createRunner(request).catch((error: unknown) => error);

      expect(refusal).toMatchObject({
        status: 400,
        message: expect.stringContaining(
          "Maximum number of ci registered project runners (1) exceeded",
        ),
      });
      expect(isRegisteredRunnerLimit(refusal)).toBe(true);
      expect(
        isRegisteredRunnerLimit(new Error("Maximum number of ci registered group runners")),
      ).toBe(false);
    } finally {
      await double.stop();
    }
  });
});
