import { mapWithConcurrency } from "../concurrency";
import { GitLabApiError } from "../errors";
import type { AutoscalerConfig, PoolConfig } from "../pools/autoscaler-config";
import { createRunnerRequest } from "../pools/runner-scope";
import { poolSettingsAt } from "../pools/schedule";
import type { Clock } from "../ports/clock";
import type { Compute, LaunchResult } from "../ports/compute";
import type { RunnerRegistry } from "../ports/gitlab";
import type { RunnerStore } from "../ports/runner-store";
import type { TokenDrop } from "../ports/token-drop";
import { poolKeeps, registrationFingerprint } from "../runners/registration";
import { runnerDescription } from "../runners/runner-identity";
import {
  type RunnerRecord,
  type RunnerState,
  registrationNameOf,
  tokenNameOf,
} from "../runners/runner-record";
import { isRegisteredRunnerLimit, REGISTERED_RUNNER_LIMIT } from "./registration-limit";

export interface LaunchDependencies {
  readonly config: AutoscalerConfig;
  readonly runners: RunnerStore;
  readonly registry: RunnerRegistry;
  readonly tokens: TokenDrop;
  readonly compute: Compute;
  readonly clock: Clock;
}

/** The states of a record whose launch is not done yet. */
export const LAUNCH_STATES: readonly RunnerState[] = ["reserved", "registered", "launching"];

export type LaunchOutcome =
  | { readonly kind: "launched"; readonly runner: RunnerRecord }
  /** Another pass moved the record first; this one stepped back and left no trace. */
  | { readonly kind: "superseded" }
  | { readonly kind: "rolled_back"; readonly result: Exclude<LaunchResult, { kind: "launched" }> }
  /**
   * A step threw (GitLab or AWS answered an error): the record stays where it stood, to be
   * resumed by any pass from `retryAt` on (see noteLaunchError).
   */
  | {
      readonly kind: "errored";
      readonly runner: string;
      readonly code: string;
      readonly message: string;
      /** GitLab's Retry-After, when it sent one. */
      readonly retryAfterSeconds?: number;
      readonly retryAt?: string;
    };

/** Tokens this invocation got from GitLab, by runner name: granted without reading them back. */
type HeldTokens = Map<string, string>;

const register = async (
  deps: LaunchDependencies,
  runner: RunnerRecord,
  pool: PoolConfig,
  held: HeldTokens,
) => {
  const created = await deps.registry.createRunner(
    createRunnerRequest(pool, runnerDescription(deps.config.deployment, runner.name)),
  );
  try {
    await deps.tokens.put(runner.name, created.token);
  } catch (error) {
    // GitLab shows a runner's token once: one not stored is a runner no instance can use, and
    // the retry creates another. A delete that fails too leaves it to the reaper's orphan sweep.
    await deps.registry.deleteRunner(created.id).catch(() => undefined);
    throw error;
  }
  held.set(runner.name, created.token);
  const registered = await deps.runners.transition(
    runner.name,
    ["reserved"],
    { state: "registered", gitlabRunnerId: created.id, fingerprint: registrationFingerprint(pool) },
    deps.clock.now(),
  );
  if (!registered) {
    // A concurrent pass registered this record first: undo ours so nothing is left behind.
    await deps.registry.deleteRunner(created.id);
  }
  return registered;
};

/**
 * A runner no instance came for gives its slot back. Where the pool keeps registrations, its
 * GitLab runner is kept for the next one as it is: its token was never granted, and still waits.
 */
const rollBack = async (deps: LaunchDependencies, runner: RunnerRecord, pool: PoolConfig) => {
  const { gitlabRunnerId, fingerprint } = runner;
  if (gitlabRunnerId !== undefined && fingerprint !== undefined && poolKeeps(pool, fingerprint)) {
    const kept = await deps.runners.retainRegistration(
      runner.name,
      ["launching"],
      {
        name: registrationNameOf(runner),
        tokenName: tokenNameOf(runner),
        pool: pool.name,
        gitlabRunnerId,
        fingerprint,
        pastJobIds: runner.pastJobIds ?? [],
      },
      deps.clock.now(),
    );
    if (kept) return;
  }
  if (gitlabRunnerId !== undefined) await deps.registry.deleteRunner(gitlabRunnerId);
  await deps.tokens.remove(tokenNameOf(runner));
  await deps.runners.release(runner.name, ["launching"], deps.clock.now());
};

/**
 * A runner GitLab refused for its scope's registered-runner cap holds nothing yet: its slot is
 * given back at once, so the pass reports the limit instead of leaving a record to retry.
 */
const refusalOrError = async (
  deps: LaunchDependencies,
  runner: RunnerRecord,
  error: unknown,
): Promise<LaunchOutcome> => {
  if (!isRegisteredRunnerLimit(error) || runner.state !== "reserved") return errorOf(runner, error);
  await deps.runners.release(runner.name, ["reserved"], deps.clock.now());
  return {
    kind: "rolled_back",
    result: { kind: "failed", code: REGISTERED_RUNNER_LIMIT, message: (error as Error).message },
  };
};

const errorOf = (runner: RunnerRecord, error: unknown): LaunchOutcome => {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  const retryAfterSeconds = error instanceof GitLabApiError ? error.retryAfterSeconds : undefined;
  return {
    kind: "errored",
    runner: runner.name,
    code: name,
    message,
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
  };
};

/** The first retry of a failed launch step waits this long, each further one twice as long. */
export const LAUNCH_RETRY_SECONDS = 5;
/** Never longer than this: the scaler's own resumption of a stalled launch takes over. */
const LAUNCH_RETRY_MAX_SECONDS = 60;

/**
 * A failed step is noted on its record with when to try again: the next pass at or after that
 * resumes it, instead of waiting out the minute a crashed pass's launch is given. Backs off per
 * failure, and waits at least what GitLab's Retry-After asked. Best effort: should the note fail
 * too, the launch is resumed as a stalled one.
 */
const noteLaunchError = async (
  deps: LaunchDependencies,
  runner: RunnerRecord,
  outcome: Extract<LaunchOutcome, { kind: "errored" }>,
): Promise<LaunchOutcome> => {
  const failures = (runner.launchFailures ?? 0) + 1;
  const backoff = Math.min(LAUNCH_RETRY_SECONDS * 2 ** (failures - 1), LAUNCH_RETRY_MAX_SECONDS);
  const now = deps.clock.now();
  const retryAt = new Date(
    now.getTime() + Math.max(backoff, outcome.retryAfterSeconds ?? 0) * 1000,
  ).toISOString();
  try {
    const noted = await deps.runners.transition(
      runner.name,
      LAUNCH_STATES,
      {
        lastError: `${outcome.code}: ${outcome.message}`.slice(0, 500),
        retryAt,
        launchFailures: failures,
      },
      now,
    );
    return noted ? { ...outcome, retryAt } : outcome;
  } catch {
    return outcome;
  }
};

/**
 * Takes runners of one pool from wherever their records stand (reserved, registered or launching)
 * to booting, with one fleet request for all the new ones: EC2 counts a request, not its
 * instances, against its mutating-request rate, so a burst of a thousand jobs is a few requests.
 * Each step is recorded before the next, so a pass that crashed part-way is resumed by calling
 * this again: the launch's client token makes a repeated request return the same instances, and
 * each runner's place in the launch pairs it with the same one. One runner's failing step is
 * reported for it, never thrown: the others go on, and the next pass resumes it.
 */
export const launchRunners = async (
  deps: LaunchDependencies,
  start: readonly RunnerRecord[],
  pool: PoolConfig,
  concurrency: number,
): Promise<LaunchOutcome[]> => {
  const outcomes = new Map<string, LaunchOutcome>();
  const step = async (
    runner: RunnerRecord,
    action: () => Promise<RunnerRecord | undefined>,
  ): Promise<RunnerRecord | undefined> => {
    try {
      const result = await action();
      if (result === undefined) outcomes.set(runner.name, { kind: "superseded" });
      return result;
    } catch (error) {
      outcomes.set(runner.name, await refusalOrError(deps, runner, error));
      return undefined;
    }
  };
  const held: HeldTokens = new Map();
  // Once GitLab refused a runner for its scope's cap, the pass asks no more there: each would be refused.
  let capRefusal: unknown;
  const registerUnlessCapped = async (runner: RunnerRecord) => {
    if (capRefusal !== undefined) throw capRefusal;
    try {
      return await register(deps, runner, pool, held);
    } catch (error) {
      if (isRegisteredRunnerLimit(error)) capRefusal = error;
      throw error;
    }
  };
  const registered = await mapWithConcurrency(start, concurrency, async (runner) =>
    runner.state === "reserved" ? step(runner, () => registerUnlessCapped(runner)) : runner,
  );
  const byName = new Map<string, RunnerRecord>();
  const abandoned = new Map<string, number[]>();
  const fresh = await fillResumedLaunches(
    deps,
    registered.filter((runner): runner is RunnerRecord => runner !== undefined),
    { step, byName, abandoned },
  );
  // The runners registered now make one new launch (two, when some must be on-demand), named
  // after its first runner.
  for (const joining of [
    fresh.filter((runner) => runner.onDemand),
    fresh.filter((runner) => !runner.onDemand),
  ]) {
    const launchId = joining[0]?.name;
    if (launchId === undefined) continue;
    const joined = await mapWithConcurrency(joining, concurrency, (runner, index) =>
      step(runner, () =>
        deps.runners.transition(
          runner.name,
          ["registered"],
          { state: "launching", launchId, launchIndex: index, launchSize: joining.length },
          deps.clock.now(),
        ),
      ),
    );
    // A place whose runner did not join is in the request all the same: its instance is undone.
    const unjoined = joined.flatMap((runner, index) => (runner ? [] : [index]));
    if (unjoined.length > 0) abandoned.set(launchId, unjoined);
    for (const runner of joined) if (runner) byName.set(runner.name, runner);
  }
  const launching = registered
    .map((runner) => (runner && byName.get(runner.name)) ?? runner)
    .filter((runner): runner is RunnerRecord => runner?.state === "launching");
  for (const launch of groupByLaunch(launching)) {
    const id = launchOf(launch[0] as RunnerRecord).id;
    const launched = await launchOne(deps, launch, pool, {
      concurrency,
      abandonedPlaces: abandoned.get(id) ?? [],
      held,
    });
    for (const [name, outcome] of launched) outcomes.set(name, outcome);
  }
  return Promise.all(
    start.map((runner) => {
      const outcome = outcomes.get(runner.name) ?? { kind: "superseded" };
      return outcome.kind === "errored" ? noteLaunchError(deps, runner, outcome) : outcome;
    }),
  );
};

/**
 * A pass that died while its runners joined a launch leaves the launch with places no record
 * holds, and their runners `registered`. Resumed, the launch's request (its client token, its
 * size) asks for those places' instances all the same: a runner of the pool still waiting to join
 * takes such a place, and a place none takes is undone, or its instance would run beside a new
 * one for the same slot, past the cap. Returns the registered runners still to launch.
 */
const fillResumedLaunches = async (
  deps: LaunchDependencies,
  records: readonly RunnerRecord[],
  into: {
    readonly step: (
      runner: RunnerRecord,
      action: () => Promise<RunnerRecord | undefined>,
    ) => Promise<RunnerRecord | undefined>;
    readonly byName: Map<string, RunnerRecord>;
    readonly abandoned: Map<string, number[]>;
  },
): Promise<RunnerRecord[]> => {
  const waiting = records.filter((runner) => runner.state === "registered");
  const short = groupByLaunch(records.filter((runner) => runner.state === "launching")).filter(
    (launch) => launch.length < launchOf(launch[0] as RunnerRecord).size,
  );
  if (short.length === 0) return waiting;
  const live = await deps.runners.listLive();
  for (const launch of short) {
    const { id, size } = launchOf(launch[0] as RunnerRecord);
    const onDemand = launch[0]?.onDemand === true;
    const held = new Set(
      live.filter((runner) => launchOf(runner).id === id).map((runner) => launchOf(runner).index),
    );
    for (let place = 0; place < size; place++) {
      if (held.has(place)) continue;
      const taker = waiting.findIndex((runner) => (runner.onDemand === true) === onDemand);
      const [runner] = taker < 0 ? [] : waiting.splice(taker, 1);
      const joined =
        runner &&
        (await into.step(runner, () =>
          deps.runners.transition(
            runner.name,
            ["registered"],
            { state: "launching", launchId: id, launchIndex: place, launchSize: size },
            deps.clock.now(),
          ),
        ));
      if (joined) into.byName.set(joined.name, joined);
      else into.abandoned.set(id, [...(into.abandoned.get(id) ?? []), place]);
    }
  }
  return waiting;
};

/** A record from before launches were shared is a launch of its own, under its own name. */
const launchOf = (runner: RunnerRecord) => ({
  id: runner.launchId ?? runner.name,
  index: runner.launchIndex ?? 0,
  size: runner.launchSize ?? 1,
});

const groupByLaunch = (runners: readonly RunnerRecord[]): RunnerRecord[][] => {
  const launches = new Map<string, RunnerRecord[]>();
  for (const runner of runners) {
    const { id } = launchOf(runner);
    launches.set(id, [...(launches.get(id) ?? []), runner]);
  }
  return [...launches.values()];
};

/** One fleet request for the launching runners of one launch, then each runner's own steps. */
const launchOne = async (
  deps: LaunchDependencies,
  runners: readonly RunnerRecord[],
  pool: PoolConfig,
  {
    concurrency,
    abandonedPlaces,
    held,
  }: {
    readonly concurrency: number;
    readonly abandonedPlaces: readonly number[];
    readonly held: HeldTokens;
  },
): Promise<Map<string, LaunchOutcome>> => {
  const outcomes = new Map<string, LaunchOutcome>();
  const first = runners[0] as RunnerRecord;
  const launch = launchOf(first);
  let result: LaunchResult;
  try {
    result = await deps.compute.launch({
      launchId: launch.id,
      count: launch.size,
      pool,
      waitTimeoutSeconds: poolSettingsAt(pool, deps.clock.now()).idleTimeSeconds,
      ...(first.onDemand && { onDemand: true }),
    });
  } catch (error) {
    for (const runner of runners) outcomes.set(runner.name, errorOf(runner, error));
    return outcomes;
  }
  const unwanted =
    result.kind === "launched"
      ? abandonedPlaces.flatMap((place) => result.instances[place]?.instanceId ?? [])
      : [];
  // A failure here leaves them to the reaper, as orphans once no runner of the launch waits.
  if (unwanted.length > 0) await deps.compute.terminate(unwanted).catch(() => undefined);
  await mapWithConcurrency(runners, concurrency, async (runner) => {
    try {
      outcomes.set(
        runner.name,
        await bootOrRollBack(deps, runner, pool, result, held.get(runner.name)),
      );
    } catch (error) {
      outcomes.set(runner.name, errorOf(runner, error));
    }
  });
  return outcomes;
};

/** The runner's instance gets its token and the record says booting; no instance, it is undone. */
const bootOrRollBack = async (
  deps: LaunchDependencies,
  runner: RunnerRecord,
  pool: PoolConfig,
  result: LaunchResult,
  heldToken: string | undefined,
): Promise<LaunchOutcome> => {
  const instance =
    result.kind === "launched" ? result.instances[launchOf(runner).index] : undefined;
  if (!instance) {
    const refusal: Exclude<LaunchResult, { kind: "launched" }> =
      result.kind === "launched"
        ? { kind: "no_capacity", errors: ["fewer instances than runners"] }
        : result;
    await rollBack(deps, runner, pool);
    return { kind: "rolled_back", result: refusal };
  }
  // "consumed" too moves on: a resumed launch whose instance already took its token is booting.
  await deps.tokens.grant(tokenNameOf(runner), instance.instanceId, heldToken);
  const booting = await deps.runners.transition(
    runner.name,
    ["launching"],
    {
      state: "booting",
      instanceId: instance.instanceId,
      instanceType: instance.instanceType,
      market: instance.market,
    },
    deps.clock.now(),
  );
  return booting ? { kind: "launched", runner: booting } : { kind: "superseded" };
};
