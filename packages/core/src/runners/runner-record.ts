import { NO_SUPPLY, type PoolSupply } from "../pools/scaling-policy";

/**
 * A runner's life, one record per runner, each step written before the next is taken so that a
 * crash anywhere leaves a record the reaper can finish or roll back:
 * reserved (slot taken) → registered (GitLab runner created, token stored) → launching (its place
 * in one fleet request for the pool's new runners) → booting (instance id known, token granted) → idle (polling GitLab) → busy (running its job) →
 * finished (job done, instance powering off) → retiring (claimed by one retirement) → gone
 * (instance, GitLab runner, token, slot released).
 */
export const RUNNER_STATES = [
  "reserved",
  "registered",
  "launching",
  "booting",
  "idle",
  "busy",
  "finished",
  "retiring",
  "gone",
] as const;

export type RunnerState = (typeof RUNNER_STATES)[number];

export type Market = "spot" | "on-demand";

export interface RunnerRecord {
  /** Unique in the deployment; also the token's parameter name (until granted) and the GitLab description. */
  readonly name: string;
  readonly pool: string;
  readonly state: RunnerState;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly gitlabRunnerId?: number;
  /**
   * The retained registration whose GitLab runner it took (see Registration): its token waited
   * under that name. Unset when the runner created its GitLab runner itself.
   */
  readonly registration?: string;
  /** Where its token waits until granted, when not under its own name (a registration's). */
  readonly tokenName?: string;
  /**
   * The jobs its registration ran before this runner took it, newest first: hooks and listings of
   * those are about an instance before this one.
   */
  readonly pastJobIds?: readonly number[];
  /** Its GitLab runner's registrationFingerprint, set when it was created or taken over. */
  readonly fingerprint?: string;
  /** The capped GitLab scope (`group#42`) whose registered-runner count its slot is taken in. */
  readonly registrationScope?: string;
  readonly instanceId?: string;
  readonly instanceType?: string;
  readonly market?: Market;
  /** Launched on-demand whatever the pool's market: it was started for a job retried after a spot interruption. */
  readonly onDemand?: boolean;
  readonly jobId?: number;
  /** Launched by lookahead, for a later-stage job not pending yet (see RunnerReadyEarly). */
  readonly startedAhead?: boolean;
  /**
   * The launch it is part of (its id, the first runner's name, is the EC2 client token), this
   * runner's place in it and the launch's size: instance `launchIndex` of the launch is this
   * runner's, also when a crashed launch is resumed.
   */
  readonly launchId?: string;
  readonly launchIndex?: number;
  readonly launchSize?: number;
  /**
   * When EC2 warned that this runner's spot instance is being reclaimed (ISO 8601). Its retirement
   * then asks GitLab for the runner's job and marks it interrupted, so that it is retried once
   * although the warning came before its `running` hook, or its `failed` hook was lost.
   */
  readonly spotWarnedAt?: string;
  /** Why the last step failed, for operators. */
  readonly lastError?: string;
  /** A launch step failed: any pass at or after this instant tries it again (ISO 8601). */
  readonly retryAt?: string;
  /** Launch steps failed so far: each retry waits twice as long as the one before. */
  readonly launchFailures?: number;
}

const PHASE: Readonly<Record<Exclude<RunnerState, "gone">, keyof PoolSupply>> = {
  reserved: "creating",
  registered: "creating",
  launching: "creating",
  booting: "booting",
  idle: "idle",
  busy: "busy",
  finished: "draining",
  retiring: "draining",
};

/** The runner can still take a job: it is on its way or polling GitLab. */
export const canTakeJob = (state: RunnerState): boolean =>
  state !== "gone" && ["creating", "booting", "idle"].includes(PHASE[state]);

/** When a runner on its way stops counting as such (see PoolSupply.straggling). */
export interface StragglerRule {
  readonly now: Date;
  /** Booting, or still being created, for longer than this many seconds. */
  readonly afterSeconds: number;
}

/** Counts a pool's live runners by the phases the scaling policy reasons about. */
export const supplyOf = (
  runners: readonly Pick<
    RunnerRecord,
    "state" | "createdAt" | "updatedAt" | "launchFailures" | "lastError"
  >[],
  straggler?: StragglerRule,
): PoolSupply => {
  const supply: Record<keyof PoolSupply, number> = { ...NO_SUPPLY };
  for (const runner of runners) {
    if (runner.state === "gone") continue;
    const phase = PHASE[runner.state];
    const late = straggler !== undefined && isLate(runner, phase, straggler);
    if (late) supply[phase === "creating" ? "stalled" : "straggling"] += 1;
    else supply[phase] += 1;
  }
  return supply;
};

/**
 * An instance that boots for longer than the rule may never take its job in time; neither may a
 * launch that outlived the rule, or whose failed step is retried only after a backoff. A step
 * Parameter Store refused for its throughput is the exception until the rule: a second launch
 * for the same job would need the same throughput, and throttle the first further.
 */
const isLate = (
  runner: Pick<RunnerRecord, "createdAt" | "updatedAt" | "launchFailures" | "lastError">,
  phase: keyof PoolSupply,
  { now, afterSeconds }: StragglerRule,
): boolean => {
  const olderThanRule = (since: string) => now.getTime() - Date.parse(since) > afterSeconds * 1000;
  if (phase === "booting") return olderThanRule(runner.updatedAt);
  const failed = (runner.launchFailures ?? 0) > 0 && !throttledByParameterStore(runner);
  return phase === "creating" && (failed || olderThanRule(runner.createdAt));
};

/** Parameter Store's answer past its throughput (its error code leads the noted error). */
const throttledByParameterStore = (runner: Pick<RunnerRecord, "lastError">): boolean =>
  runner.lastError?.startsWith("ThrottlingException:") === true;

/** The registration a runner runs as: the one it took, or the one it created, named after it. */
export const registrationNameOf = (runner: Pick<RunnerRecord, "name" | "registration">): string =>
  runner.registration ?? runner.name;

/** Where a runner's token waits until it is granted to its instance. */
export const tokenNameOf = (runner: Pick<RunnerRecord, "name" | "tokenName">): string =>
  runner.tokenName ?? runner.name;

/**
 * Where the token reset after a runner's job waits for the registration's next runner: a name of
 * this runner's own, so that a pass still holding an earlier runner of the registration (one that
 * went stale) grants nothing of it.
 */
export const nextTokenNameOf = (runner: Pick<RunnerRecord, "name">): string =>
  `${runner.name}-next`;
