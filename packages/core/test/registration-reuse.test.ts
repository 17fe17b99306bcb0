import type { AutoscalerConfigInput } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import { stateWorlds, type World } from "../../../test/support/state-worlds";
import {
  handleInstanceEvent,
  launchRunners,
  observeJobProgress,
  parseAutoscalerConfig,
  REGISTRATION_REVISIT_SECONDS,
  runReaperPass,
  runScalerPass,
} from "../src/index";

/** The shared config with the linux-arm pool keeping its registrations (a day, or `idleTime`). */
const reusing = (
  runner: Record<string, unknown> = {},
  change: (config: AutoscalerConfigInput) => void = () => undefined,
): AutoscalerConfigInput => {
  const config = configInput();
  Object.assign(config.pools[0]!.runner, { registrations: "reuse", ...runner });
  change(config);
  return config;
};

describe.each(stateWorlds())("registrations kept between jobs, state %s", (_, makeWorld) => {
  /**
   * Job `jobId` of project 5 gets a runner, which polls GitLab with the token its instance was
   * granted, runs the job to success and powers off: returns the runner's record as it retired.
   */
  const runOneJob = async (world: World, jobId: number) => {
    await world.addPendingJob(jobId, ["linux"]);
    await runScalerPass(world.deps);
    const runner = (await world.runners.listLive()).find((live) => live.state === "booting")!;
    const token = world.tokens.take(runner.instanceId!);
    const gitlabRunner = world.gitlab.model.runnerByToken(token)!;
    world.gitlab.model.contact(gitlabRunner.id);
    world.advance(5);
    world.gitlab.model.requestJob(gitlabRunner.id);
    const running = {
      jobId,
      projectId: 5,
      status: "running" as const,
      runnerId: gitlabRunner.id,
      startedAt: world.clock.now().toISOString(),
    };
    await world.demand.recordJobEvent(running, world.clock.now());
    await observeJobProgress(world.deps, [running]);
    world.advance(60);
    world.gitlab.model.finishJob(jobId, "success");
    const success = { ...running, status: "success" as const };
    await world.demand.recordJobEvent(success, world.clock.now());
    await observeJobProgress(world.deps, [success]);
    await handleInstanceEvent(world.reaperDeps, {
      kind: "state_change",
      instanceId: runner.instanceId!,
      state: "shutting-down",
    });
    world.advance(5);
    return { runner, token: token!, gitlabRunnerId: gitlabRunner.id, running };
  };

  it("keeps a job's GitLab runner for the next job, with a token reset in between", async () => {
    const world = await makeWorld(reusing());

    const first = await runOneJob(world, 41);

    expect(world.gitlab.calls).toMatchObject({ createRunner: 1, deleteRunner: 0 });
    expect(world.gitlab.calls.resetRunnerToken).toBe(1);
    // The first job's token is refused from now on; a new one waits for the next instance.
    expect(world.gitlab.model.runnerByToken(first.token)).toBeUndefined();
    expect([...world.tokens.waiting.keys()]).toEqual([`${first.runner.name}-next`]);
    expect(world.tokens.granted.size).toBe(0);
    expect(await world.runners.listRegistrations()).toMatchObject([
      { name: first.runner.name, gitlabRunnerId: first.gitlabRunnerId, pastJobIds: [41] },
    ]);
    expect(await world.runners.ledger()).toMatchObject({ global: 0 });

    await world.addPendingJob(42, ["linux"]);
    await runScalerPass(world.deps);
    const [next] = await world.runners.listLive();
    const nextToken = world.tokens.take(next!.instanceId!);

    expect(world.gitlab.calls.createRunner).toBe(1);
    expect(next).toMatchObject({
      state: "booting",
      gitlabRunnerId: first.gitlabRunnerId,
      registration: first.runner.name,
      pastJobIds: [41],
    });
    expect(world.gitlab.model.runnerByToken(nextToken)?.id).toBe(first.gitlabRunnerId);
    expect(world.tokens.stored).toBe(0);
    expect(await world.runners.listRegistrations()).toEqual([]);
  });

  it("never hands a registration to a second runner while one runs as it", async () => {
    const world = await makeWorld(reusing());
    await runOneJob(world, 41);

    for (const jobId of [42, 43, 44]) await world.addPendingJob(jobId, ["linux"]);
    await runScalerPass(world.deps);
    const live = await world.runners.listLive();

    expect(live).toHaveLength(3);
    expect(new Set(live.map((runner) => runner.gitlabRunnerId)).size).toBe(3);
    expect(live.filter((runner) => runner.registration !== undefined)).toHaveLength(1);
    expect(world.gitlab.calls.createRunner).toBe(3);
  });

  it("believes no late hook of the job an earlier instance of its registration ran", async () => {
    const world = await makeWorld(reusing());
    const first = await runOneJob(world, 41);
    await world.addPendingJob(42, ["linux"]);
    await runScalerPass(world.deps);
    const [next] = await world.runners.listLive();

    const late = await observeJobProgress(world.deps, [
      // The earlier job's own hooks, replayed late...
      { ...first.running, status: "running" },
      { ...first.running, status: "success" },
      // ...and one of a job that instance ran whose hooks never came: it started before...
      { ...first.running, jobId: 40, status: "success" },
      // ...or reconciliation closed it with no start time known.
      { jobId: 39, projectId: 5, status: "success", runnerId: first.gitlabRunnerId },
    ]);

    expect(late.runnersMoved).toBe(0);
    expect(await world.runners.get(next!.name)).toMatchObject({ state: "booting" });
  });

  it("repairs a crash between the token's reset and its storage: reset again, no token left valid", async () => {
    const world = await makeWorld(reusing());
    const resets: (string | undefined)[] = [];
    const reset = world.gitlab.resetRunnerToken.bind(world.gitlab);
    world.gitlab.resetRunnerToken = async (id) => {
      const token = await reset(id);
      resets.push(token);
      return token;
    };
    const put = world.tokens.put.bind(world.tokens);
    // The first put after the reset fails: the retirement dies with the new token unstored.
    let failNextPut = false;
    world.tokens.put = async (name, token) => {
      if (failNextPut) {
        failNextPut = false;
        throw new Error("ThrottlingException: Rate exceeded");
      }
      return put(name, token);
    };
    await world.addPendingJob(41, ["linux"]);
    await runScalerPass(world.deps);
    const [runner] = await world.runners.listLive();
    world.tokens.take(runner!.instanceId!);
    failNextPut = true;

    await expect(
      handleInstanceEvent(world.reaperDeps, {
        kind: "state_change",
        instanceId: runner!.instanceId!,
        state: "shutting-down",
      }),
    ).rejects.toThrow("ThrottlingException");
    expect(await world.runners.get(runner!.name)).toMatchObject({ state: "retiring" });

    world.advance(120);
    await runReaperPass(world.reaperDeps);

    expect(resets).toHaveLength(2);
    expect(world.gitlab.model.runnerByToken(resets[0])).toBeUndefined();
    expect(world.gitlab.model.runnerByToken(resets[1])?.id).toBe(runner!.gitlabRunnerId);
    expect([...world.tokens.waiting.values()]).toEqual([resets[1]]);
    expect(await world.runners.listLive()).toEqual([]);
    expect(await world.runners.listRegistrations()).toHaveLength(1);
  });

  it("deletes a registration no job used for registration_idle_time, with its token and scope slot", async () => {
    const world = await makeWorld(
      reusing({ registration_idle_time: "2h", registered_runner_limit: 5 }),
    );
    await runOneJob(world, 41);
    expect(await world.runners.ledger()).toMatchObject({ byScope: { "group#42": 1 } });

    world.advance(3600);
    const early = await runReaperPass(world.reaperDeps);
    world.advance(3601);
    const late = await runReaperPass(world.reaperDeps);

    expect(early).toMatchObject({ registrationsExpired: 0, orphanGitlabRunners: 0 });
    expect(late).toMatchObject({ registrationsExpired: 1, orphanGitlabRunners: 0 });
    expect(world.gitlab.runners.size).toBe(0);
    expect(world.tokens.stored).toBe(0);
    expect(await world.runners.listRegistrations()).toEqual([]);
    expect(await world.runners.ledger()).toMatchObject({ byScope: { "group#42": 0 } });
  });

  it("takes no registration made for other tags, and deletes it", async () => {
    const world = await makeWorld(reusing());
    await runOneJob(world, 41);
    const retagged = parseAutoscalerConfig(
      reusing({}, (config) => {
        config.pools[0]!.tags = ["linux", "docker", "arm64", "large"];
      }),
    );
    const deps = { ...world.deps, config: retagged };

    await world.addPendingJob(42, ["linux"]);
    await runScalerPass(deps);
    const report = await runReaperPass({ ...world.reaperDeps, config: retagged });

    expect(world.gitlab.calls.createRunner).toBe(2);
    expect(report.registrationsExpired).toBe(1);
    expect(await world.runners.listRegistrations()).toEqual([]);
    expect(world.gitlab.runners.size).toBe(1);
  });

  it("counts a runner on a registration as idle only once its own instance polled GitLab", async () => {
    const world = await makeWorld(reusing());
    const first = await runOneJob(world, 41);
    await world.addPendingJob(42, ["linux"]);
    await runScalerPass(world.deps);
    const [next] = await world.runners.listLive();

    // GitLab lists the registration online: its earlier instance polled two minutes ago.
    const before = await runReaperPass(world.reaperDeps);
    world.advance(10);
    world.gitlab.model.contact(first.gitlabRunnerId);
    const after = await runReaperPass(world.reaperDeps);

    expect(before.cameOnline).toBe(0);
    expect(after.cameOnline).toBe(1);
    expect(await world.runners.get(next!.name)).toMatchObject({ state: "idle" });
  });

  it("holds a kept registration's place in the scope's cap, and serves the next job with it", async () => {
    const world = await makeWorld(reusing({ registered_runner_limit: 1 }));
    await runOneJob(world, 41);

    await world.addPendingJob(42, ["linux"]);
    await world.addPendingJob(43, ["linux"]);
    const report = await runScalerPass(world.deps);

    expect(world.gitlab.calls.createRunner).toBe(1);
    expect(await world.runners.listLive()).toHaveLength(1);
    expect(report.pools.find((pool) => pool.pool === "linux-arm")).toMatchObject({
      launched: 1,
      registrationLimited: { scope: "group#42", limit: 1 },
    });
    expect(await world.runners.ledger()).toMatchObject({ byScope: { "group#42": 1 } });
  });

  it("lets the EC2 event of an instance the reaper is retiring wait: one reset, not two", async () => {
    const world = await makeWorld(reusing());
    await world.addPendingJob(41, ["linux"]);
    await runScalerPass(world.deps);
    const [runner] = await world.runners.listLive();
    await world.runners.transition(
      runner!.name,
      ["booting"],
      { state: "retiring" },
      world.clock.now(),
    );

    world.advance(1);
    const meanwhile = await handleInstanceEvent(world.reaperDeps, {
      kind: "state_change",
      instanceId: runner!.instanceId!,
      state: "shutting-down",
    });

    expect(meanwhile).toBe("ignored");
    expect(world.gitlab.calls.resetRunnerToken).toBe(0);
    expect(await world.runners.get(runner!.name)).toMatchObject({ state: "retiring" });
  });

  it("grants nothing of a registration's new token to a pass still holding its last runner", async () => {
    const world = await makeWorld(reusing());
    await world.addPendingJob(41, ["linux"]);
    // The pass that launches the runner, as a second pass read it before the launch was done.
    await runScalerPass(world.deps);
    const [runner] = await world.runners.listLive();
    const stale = { ...runner!, state: "launching" as const };
    world.tokens.take(runner!.instanceId!);
    await handleInstanceEvent(world.reaperDeps, {
      kind: "state_change",
      instanceId: runner!.instanceId!,
      state: "shutting-down",
    });

    const outcomes = await launchRunners(world.deps, [stale], world.deps.config.pools[0]!, 1);

    expect(outcomes).toEqual([{ kind: "superseded" }]);
    expect(world.tokens.granted.size).toBe(0);
    expect([...world.tokens.waiting.keys()]).toEqual([`${runner!.name}-next`]);
    await world.addPendingJob(42, ["linux"]);
    await runScalerPass(world.deps);
    const [next] = await world.runners.listLive();
    expect(world.gitlab.model.runnerByToken(world.tokens.take(next!.instanceId!))?.id).toBe(
      runner!.gitlabRunnerId,
    );
  });

  it("deletes no GitLab runner whose owner the pass's first reads missed", async () => {
    const world = await makeWorld(reusing());
    await runOneJob(world, 41);
    // The pass read its lists while the registration changed owner: it saw neither.
    let firstRead = true;
    const runners = Object.create(world.runners) as typeof world.runners;
    runners.listRegistrations = async () => {
      if (!firstRead) return world.runners.listRegistrations();
      firstRead = false;
      return [];
    };

    const report = await runReaperPass({ ...world.reaperDeps, runners });

    expect(report.actions.map((action) => action.kind)).toContain("delete_orphan_gitlab_runner");
    expect(report.orphanGitlabRunners).toBe(0);
    expect(world.gitlab.runners.size).toBe(1);
  });

  it("gives a scope's slot held by another pool's free registration to a pool at the cap", async () => {
    // Both pools register in group 42, whose cap of one the arm pool's kept registration holds.
    const world = await makeWorld(
      reusing({ registered_runner_limit: 1 }, (config) => {
        config.pools[1]!.runner = {
          runner_type: "group_type",
          group_id: 42,
          registered_runner_limit: 1,
        };
      }),
    );
    await runOneJob(world, 41);
    await world.addPendingJob(50, ["gpu"]);

    const held = await runScalerPass(world.deps);
    world.advance(REGISTRATION_REVISIT_SECONDS);
    const next = await runScalerPass(world.deps);

    expect(held.pools.find((pool) => pool.pool === "gpu")).toMatchObject({
      launched: 0,
      registrationLimited: { scope: "group#42" },
    });
    expect(next.pools.find((pool) => pool.pool === "gpu")).toMatchObject({ launched: 1 });
    expect(await world.runners.listRegistrations()).toEqual([]);
    expect(world.gitlab.runners.size).toBe(1);
    expect(await world.runners.ledger()).toMatchObject({ byScope: { "group#42": 1 } });
  });

  it("deletes per job where the pool says per_job", async () => {
    const world = await makeWorld(reusing({ registrations: "per_job" }));
    await runOneJob(world, 41);

    expect(world.gitlab.calls).toMatchObject({
      createRunner: 1,
      deleteRunner: 1,
      resetRunnerToken: 0,
    });
    expect(world.gitlab.runners.size).toBe(0);
    expect(await world.runners.listRegistrations()).toEqual([]);
  });
});
