import type { AutoscalerConfig, PoolConfig } from "../pools/autoscaler-config";
import { createRunnerRequest } from "../pools/runner-scope";
import { poolSettingsAt } from "../pools/schedule";
import type { Clock } from "../ports/clock";
import type { Compute, LaunchResult } from "../ports/compute";
import type { RunnerRegistry } from "../ports/gitlab";
import type { RunnerStore } from "../ports/runner-store";
import type { TokenDrop } from "../ports/token-drop";
import { runnerDescription } from "../runners/runner-identity";
import type { RunnerRecord } from "../runners/runner-record";

export interface LaunchDependencies {
  readonly config: AutoscalerConfig;
  readonly runners: RunnerStore;
  readonly registry: RunnerRegistry;
  readonly tokens: TokenDrop;
  readonly compute: Compute;
  readonly clock: Clock;
}

export type LaunchOutcome =
  | { readonly kind: "launched"; readonly runner: RunnerRecord }
  /** Another pass moved the record first; this one stepped back and left no trace. */
  | { readonly kind: "superseded" }
  | { readonly kind: "rolled_back"; readonly result: Exclude<LaunchResult, { kind: "launched" }> }
  /** A step threw (GitLab or AWS answered an error): the record stays where it stood, to be resumed. */
  | {
      readonly kind: "errored";
      readonly runner: string;
      readonly code: string;
      readonly message: string;
    };

const register = async (deps: LaunchDependencies, runner: RunnerRecord, pool: PoolConfig) => {
  const created = await deps.registry.createRunner(
    createRunnerRequest(pool, runnerDescription(deps.config.deployment, runner.name)),
  );
  await deps.tokens.put(runner.name, created.token);
  const registered = await deps.runners.transition(
    runner.name,
    ["reserved"],
    { state: "registered", gitlabRunnerId: created.id },
    deps.clock.now(),
  );
  if (!registered) {
    // A concurrent pass registered this record first: undo ours so nothing is left behind.
    await deps.registry.deleteRunner(created.id);
  }
  return registered;
};

const rollBack = async (deps: LaunchDependencies, runner: RunnerRecord) => {
  if (runner.gitlabRunnerId !== undefined) await deps.registry.deleteRunner(runner.gitlabRunnerId);
  await deps.tokens.remove(runner.name);
  await deps.runners.release(runner.name, ["launching"], deps.clock.now());
};

/**
 * Takes a runner from wherever its record stands (reserved, registered or launching) to booting.
 * Each step is recorded before the next, so a pass that crashed part-way is resumed by calling this
 * again: the EC2 client token makes a repeated launch return the same instance.
 */
export const launchRunner = async (
  deps: LaunchDependencies,
  start: RunnerRecord,
  pool: PoolConfig,
): Promise<LaunchOutcome> => {
  const waitTimeoutSeconds = poolSettingsAt(pool, deps.clock.now()).idleTimeSeconds;
  let runner: RunnerRecord | undefined = start;
  if (runner.state === "reserved") {
    runner = await register(deps, runner, pool);
    if (!runner) return { kind: "superseded" };
  }
  if (runner.state === "registered") {
    runner = await deps.runners.transition(
      runner.name,
      ["registered"],
      { state: "launching" },
      deps.clock.now(),
    );
    if (!runner) return { kind: "superseded" };
  }
  if (runner.state !== "launching") return { kind: "superseded" };

  const result = await deps.compute.launch({
    runnerName: runner.name,
    pool,
    waitTimeoutSeconds,
    ...(runner.onDemand && { onDemand: true }),
  });
  if (result.kind !== "launched") {
    await rollBack(deps, runner);
    return { kind: "rolled_back", result };
  }
  // "consumed" too moves on: a resumed launch whose instance already took its token is booting.
  await deps.tokens.grant(runner.name, result.instanceId);
  const booting = await deps.runners.transition(
    runner.name,
    ["launching"],
    {
      state: "booting",
      instanceId: result.instanceId,
      instanceType: result.instanceType,
      market: result.market,
    },
    deps.clock.now(),
  );
  return booting ? { kind: "launched", runner: booting } : { kind: "superseded" };
};

/**
 * launchRunner with a failing step reported instead of thrown, so that one runner's trouble never
 * stops a pass: the others launch, and the next pass resumes this one from its last recorded step
 * (the reaper rolls it back if it stays stuck).
 */
export const tryLaunchRunner = async (
  deps: LaunchDependencies,
  runner: RunnerRecord,
  pool: PoolConfig,
): Promise<LaunchOutcome> => {
  try {
    return await launchRunner(deps, runner, pool);
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    return { kind: "errored", runner: runner.name, code: name, message };
  }
};
