import type { JobRecord } from "../jobs/job-record";
import { isUnserved } from "../jobs/passed-over";
import {
  dueForPool,
  type LookaheadDemand,
  readLookaheadDemand,
} from "../lookahead/lookahead-demand";
import { launchAtOf } from "../lookahead/pending-estimate";
import type { PoolConfig } from "../pools/autoscaler-config";
import { type RoutableJob, routeJob, type UnroutableReason, whyUnroutable } from "../pools/routing";
import { type RegistrationCap, registrationScopeKey } from "../pools/runner-scope";
import { roomToStart, runnersToStart } from "../pools/scaling-policy";
import { poolSettingsAt } from "../pools/schedule";
import type { DemandStore } from "../ports/demand-store";
import type { JobsApi } from "../ports/gitlab";
import type { JobDurations } from "../ports/job-durations";
import type { PoolControls } from "../ports/pool-controls";
import type { CapacityCaps, ReserveOutcome } from "../ports/runner-store";
import { freeScopeSlotsFor } from "../runners/expire-registration";
import { registrationFingerprint } from "../runners/registration";
import { canTakeJob, type RunnerRecord, supplyOf } from "../runners/runner-record";
import {
  LAUNCH_STATES,
  type LaunchDependencies,
  type LaunchOutcome,
  launchRunners,
} from "./launch-runner";
import type { ProjectGroups } from "./project-groups";
import type { RegistrationCaps } from "./registration-caps";
import { limitInRefusal, REGISTERED_RUNNER_LIMIT } from "./registration-limit";
import { resolveJobTags } from "./resolve-tags";

export interface ScalerDependencies extends LaunchDependencies {
  readonly demand: DemandStore;
  readonly jobsApi: JobsApi;
  readonly poolControls: PoolControls;
  readonly newRunnerName: (pool: string) => string;
  /**
   * The caps learned from GitLab (plans, refusals): one per process (a Lambda container, the local
   * stack, a simulation), so what one pass learned holds the next.
   */
  readonly registrationCaps: RegistrationCaps;
  /** Each project's groups, read once an hour (see ProjectGroups); one per process too. */
  readonly projectGroups: ProjectGroups;
  /** Recent durations of each project's jobs, for pipeline lookahead. */
  readonly durations: JobDurations;
}

export interface ScalerLimits {
  /** GitLab job reads per pass (tag resolution). */
  readonly tagReadsPerPass: number;
  /** Runners started per pass, across pools: keeps EC2 and GitLab calls inside their rate limits. */
  readonly launchesPerPass: number;
  /** Launches in flight at once. */
  readonly launchConcurrency: number;
  /** A launch record untouched this long is taken over by the next pass (its pass died). */
  readonly resumeAfterSeconds: number;
}

export const DEFAULT_SCALER_LIMITS: ScalerLimits = {
  tagReadsPerPass: 100,
  launchesPerPass: 50,
  launchConcurrency: 8,
  resumeAfterSeconds: 60,
};

export interface PoolReport {
  readonly pool: string;
  readonly pending: number;
  readonly oldestPendingSeconds: number;
  readonly supply: ReturnType<typeof supplyOf>;
  readonly maxInstances: number;
  /** Later-stage jobs routed here whose runner lookahead launches by now (see lookahead). */
  readonly future: number;
  readonly started: number;
  /** Of the runners started, those started ahead of demand, for jobs not pending yet. */
  readonly startedAhead: number;
  readonly launched: number;
  readonly failures: readonly string[];
  /** Launch steps that threw this pass (new or resumed launches), left to be resumed. */
  readonly errors: readonly Extract<LaunchOutcome, { kind: "errored" }>[];
  /** The pool had no capacity this pass; its uncovered jobs were offered to later matching pools. */
  readonly starved: boolean;
  /**
   * Its GitLab scope's registered-runner cap held it back this pass (the ledger's count of the
   * scope, or GitLab's refusal): set to the scope and its cap.
   */
  readonly registrationLimited?: {
    readonly scope: string;
    readonly limit?: number;
    /** Where the cap the ledger held it to comes from (see RegistrationCap). */
    readonly source?: RegistrationCap["source"];
  };
}

export interface ScalerReport {
  readonly pools: readonly PoolReport[];
  /** Pending jobs no pool serves, with why: no pool has their tags, or none may serve their project. */
  readonly unroutable: readonly { readonly jobId: number; readonly reason: UnroutableReason }[];
  /** Jobs MAX_PASSED_OVER idle runners of their pool never took: no more runners start for them. */
  readonly unserved: readonly number[];
  readonly deferred: readonly number[];
  /** Pending jobs no hook told us about, seen in a project listing read for tags: now demand. */
  readonly discovered: readonly number[];
  readonly closed: readonly number[];
  /** Jobs GitLab answered 404 for (no access to the project, or erased): recorded not_visible. */
  readonly notVisible: readonly number[];
  readonly resumed: number;
  /**
   * Set when something this pass saw changes before the next scheduled pass: a failed launch step
   * is due for its retry, or a runner booting for a pool with pending jobs becomes a straggler.
   * The caller may run another pass then (see SCALER_REVISIT_WITHIN_SECONDS).
   */
  readonly revisitAfterSeconds?: number;
  /** Set when an account quota stopped launches: nothing more starts until someone raises it. */
  readonly quotaExceeded?: string;
  /**
   * Set when EC2 refused a launch for want of IAM permissions (UnauthorizedOperation): a deployment
   * error, not a capacity problem, so no other pool or market is tried until the policy is fixed.
   */
  readonly launchDenied?: string;
  /** Set when lookahead's reads failed: this pass served pending jobs only. */
  readonly lookaheadError?: string;
}

const ageSeconds = (job: JobRecord, now: Date) =>
  Math.max(0, (now.getTime() - Date.parse(job.createdAt ?? job.updatedAt)) / 1000);

/** Tag reads deferred by GitLab's refusal are tried again after this. */
const TAG_READ_RETRY_SECONDS = 10;
/** EC2's code for a request IAM refused. */
const UNAUTHORIZED = "UnauthorizedOperation";

/**
 * One scaler pass: read demand, learn job tags, route jobs to pools, and start the runners the
 * policy asks for within the ledger's caps. Safe to run concurrently with itself: every slot is
 * taken atomically and every record moves by conditional update.
 */
export const runScalerPass = async (
  deps: ScalerDependencies,
  limits: ScalerLimits = DEFAULT_SCALER_LIMITS,
): Promise<ScalerReport> => {
  const now = deps.clock.now();
  const { pools, max_instances: globalMaxInstances } = deps.config;
  const pending = await deps.demand.listPendingJobs(now);
  // Later stages' jobs whose runners are due now get their tags read like pending jobs.
  // Lookahead is an optimisation: when its reads fail, pending jobs are still served.
  let lookaheadError: string | undefined;
  const lookahead = await readLookaheadDemand(deps, now).catch((error: unknown) => {
    lookaheadError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { due: [] } as LookaheadDemand;
  });
  // A job listed pending already is demand, not a future job too (the index lags a move).
  const pendingIds = new Set(pending.map((job) => job.jobId));
  const due = lookahead.due.filter((future) => !pendingIds.has(future.job.jobId));
  const resolution = await resolveJobTags(
    { ...deps, pools },
    [...pending, ...due.map((future) => future.job)],
    limits.tagReadsPerPass,
  );
  const facts = (job: JobRecord) => resolution.routable.get(job.jobId) as RoutableJob;
  const resolved = pending.filter((job) => resolution.routable.has(job.jobId));
  const unroutable = resolved
    .filter((job) => !routeJob(pools, facts(job)))
    .map((job) => ({ jobId: job.jobId, reason: whyUnroutable(pools, facts(job)) }));
  // A job the pool's runners polled past again and again is demand no longer (see MAX_PASSED_OVER).
  const unserved = resolved.filter(isUnserved).map((job) => job.jobId);
  const routable = resolved.filter((job) => !isUnserved(job));

  let live = await deps.runners.listLive();
  const resumed = await resumeStalledLaunches(deps, live, limits, now);
  if (resumed.length > 0) live = await deps.runners.listLive();
  const ledger = await deps.runners.ledger();
  const caps = deps.registrationCaps;
  await caps.refresh(deps);
  let globalInUse = ledger.global;
  let launchBudget = limits.launchesPerPass;
  let quotaExceeded: string | undefined;
  let launchDenied: string | undefined;
  // A drained pool launches nothing; its jobs go to the next pool that matches them.
  const drained = await deps.poolControls.drainedPools();
  const open = pools.filter((pool) => !drained.has(pool.name));
  const starved = new Set<string>();
  // Jobs a starved pool could not cover, offered to the next pools that match them.
  const spilled = new Set<number>();
  const reports: PoolReport[] = [];
  // Jobs whose tags GitLab would not give (429, 5xx) are read again in seconds, not a minute.
  const revisits: number[] =
    resolution.deferred.length > 0 ? [now.getTime() + TAG_READ_RETRY_SECONDS * 1000] : [];
  // The next pass comes when the next later-stage runner is due.
  if (lookahead.nextLaunchAt !== undefined) revisits.push(lookahead.nextLaunchAt);
  const futureRoutable = due.filter((future) => resolution.routable.has(future.job.jobId));

  for (const pool of pools) {
    const candidates = open.filter((candidate) => !starved.has(candidate.name));
    const demand = routable.filter(
      (job) => routeJob(spilled.has(job.jobId) ? candidates : open, facts(job))?.name === pool.name,
    );
    const poolRunners = live.filter((runner) => runner.pool === pool.name);
    const settings = poolSettingsAt(pool, now);
    const supply = supplyOf(poolRunners, { now, afterSeconds: pool.straggler_after });
    const future = futureRoutable.filter(
      (candidate) => routeJob(open, facts(candidate.job))?.name === pool.name,
    );
    const futureDue = future.filter((candidate) => dueForPool(candidate, pool, now));
    for (const candidate of future) {
      const launchAt = launchAtOf(candidate, pool.lookahead.lead_time);
      if (pool.lookahead.enabled && launchAt > now.getTime()) revisits.push(launchAt);
    }
    const scaling = {
      settings,
      pending: demand.length,
      ahead: Math.min(futureDue.length, pool.lookahead.max_runners),
      supply,
      poolSlotsInUse: ledger.byPool[pool.name] ?? 0,
      globalSlotsInUse: globalInUse,
      globalMaxInstances,
    };
    const wanted = runnersToStart(scaling);
    // A drained pool starts nothing, neither for jobs nor for its idle_count.
    const stopped = quotaExceeded || launchDenied || drained.has(pool.name);
    // Retries after a spot interruption get on-demand runners even where spot supply covers
    // demand already: a spare spot runner idles out, a retry hit twice is a job failed twice.
    const onDemand = Math.min(onDemandWanted(pool, demand, poolRunners), roomToStart(scaling));
    const toStart = stopped ? 0 : Math.min(Math.max(wanted, onDemand), launchBudget);
    // The runners beyond what pending jobs and idle_count want are lookahead's.
    const forDemand = Math.max(runnersToStart({ ...scaling, ahead: 0 }), onDemand);
    const startedAhead = Math.max(0, toStart - forDemand);
    const cap = caps.capOf(deps.config, pool, now);
    const scopeKey = registrationScopeKey(pool);
    const { reserved, refusal } = await reserveRunners(
      deps,
      pool,
      { count: toStart, onDemand, ahead: startedAhead },
      {
        poolMaxInstances: settings.maxInstances,
        globalMaxInstances,
        // Every registration holds its scope's slot, capped or not yet: a cap learned later
        // (GitLab's refusal, the plan read) then counts the registrations made before it.
        ...(scopeKey !== undefined && {
          registrations: { scope: scopeKey, max: cap?.limit ?? Number.MAX_SAFE_INTEGER },
        }),
      },
    );
    launchBudget -= reserved.length;
    globalInUse += reserved.length;
    const outcomes = await launchRunners(deps, reserved, pool, limits.launchConcurrency);
    const errors = [...(resumed.find((entry) => entry.pool === pool.name)?.errors ?? [])];
    for (const outcome of outcomes) if (outcome.kind === "errored") errors.push(outcome);
    for (const error of errors) if (error.retryAt) revisits.push(Date.parse(error.retryAt));
    if (demand.length > 0) {
      const started = outcomes.flatMap((outcome) =>
        outcome.kind === "launched" ? [outcome.runner] : [],
      );
      for (const runner of [...poolRunners, ...started])
        if (runner.state === "booting")
          revisits.push(Date.parse(runner.updatedAt) + (pool.straggler_after + 1) * 1000);
    }
    const failures = [
      ...outcomes.flatMap((outcome) =>
        outcome.kind === "rolled_back" ? [describeFailure(outcome)] : [],
      ),
      ...errors.map((error) => error.code),
    ];
    const launched = outcomes.filter((outcome) => outcome.kind === "launched").length;
    const quota = outcomes.find(
      (outcome) => outcome.kind === "rolled_back" && outcome.result.kind === "quota_exceeded",
    );
    if (quota)
      quotaExceeded = describeFailure(quota as Extract<LaunchOutcome, { kind: "rolled_back" }>);
    const denied = outcomes.find(
      (outcome) =>
        outcome.kind === "rolled_back" &&
        outcome.result.kind === "failed" &&
        outcome.result.code === UNAUTHORIZED,
    );
    if (denied?.kind === "rolled_back" && denied.result.kind === "failed")
      launchDenied = denied.result.message;
    globalInUse -= reserved.length - launched;

    const isStarved = outcomes.some(
      (outcome) => outcome.kind === "rolled_back" && outcome.result.kind === "no_capacity",
    );
    const refusedAt = limitGitlabRefusedAt(outcomes);
    if (refusedAt !== undefined && scopeKey !== undefined)
      caps.learnRefusal(scopeKey, refusedAt, now);
    const registrationLimited = registrationLimitOf(scopeKey, cap, refusal, outcomes, refusedAt);
    if (refusal === "scope_full" && cap)
      await freeScopeSlotsFor(deps, {
        scope: cap.key,
        pool: pool.name,
        fingerprint: registrationFingerprint(pool),
        wanted: toStart - reserved.length,
      });
    // A scope at its cap gets a slot back when a job's runner retires, which wakes no scaler: the
    // pass comes back soon rather than at the next minute, or every slot would idle till then.
    if (registrationLimited) revisits.push(now.getTime() + REGISTRATION_REVISIT_SECONDS * 1000);
    // Held back by its scope's cap, the pool's uncovered jobs may find room in another scope.
    if (isStarved || registrationLimited) {
      starved.add(pool.name);
      // The newest of this pool's jobs, as many as it failed to cover, move on.
      const uncovered = Math.max(
        0,
        demand.length - (supply.creating + supply.booting + supply.idle + launched),
      );
      for (const job of demand.slice(demand.length - uncovered)) spilled.add(job.jobId);
    }
    reports.push({
      pool: pool.name,
      pending: demand.length,
      oldestPendingSeconds: Math.round(Math.max(0, ...demand.map((job) => ageSeconds(job, now)))),
      supply,
      maxInstances: settings.maxInstances,
      future: futureDue.length,
      started: reserved.length,
      startedAhead: Math.max(0, startedAhead - (toStart - reserved.length)),
      launched,
      failures,
      errors,
      starved: isStarved,
      ...(registrationLimited && { registrationLimited }),
    });
  }
  return {
    pools: reports,
    unroutable,
    unserved,
    deferred: resolution.deferred,
    discovered: resolution.discovered,
    closed: resolution.closed,
    notVisible: resolution.notVisible,
    resumed: resumed.reduce((sum, entry) => sum + entry.count, 0),
    ...revisitAfter(revisits, now),
    ...(lookaheadError !== undefined && { lookaheadError }),
    ...(quotaExceeded && { quotaExceeded }),
    ...(launchDenied && { launchDenied }),
  };
};

/** The scope cap that held a pool back this pass: the ledger's count, or GitLab's refusal. */
const registrationLimitOf = (
  scopeKey: string | undefined,
  cap: RegistrationCap | undefined,
  refusal: ReserveOutcome | undefined,
  outcomes: readonly LaunchOutcome[],
  refusedAt: number | undefined,
): PoolReport["registrationLimited"] => {
  const refused = outcomes.some(
    (outcome) =>
      outcome.kind === "rolled_back" &&
      outcome.result.kind === "failed" &&
      outcome.result.code === REGISTERED_RUNNER_LIMIT,
  );
  if (refusal !== "scope_full" && !refused) return undefined;
  const limit = refusedAt ?? cap?.limit;
  return {
    scope: scopeKey ?? "",
    ...(limit !== undefined && { limit }),
    ...(cap && { source: cap.source }),
  };
};

/** The cap GitLab named when it refused one of these launches' registrations, if it did. */
const limitGitlabRefusedAt = (outcomes: readonly LaunchOutcome[]): number | undefined => {
  for (const outcome of outcomes)
    if (
      outcome.kind === "rolled_back" &&
      outcome.result.kind === "failed" &&
      outcome.result.code === REGISTERED_RUNNER_LIMIT
    ) {
      const limit = limitInRefusal(outcome.result.message);
      if (limit !== undefined) return limit;
    }
  return undefined;
};

/** The soonest of the instants still ahead, in whole seconds from now. */
const revisitAfter = (instants: readonly number[], now: Date) => {
  const ahead = instants.filter((at) => at > now.getTime());
  if (ahead.length === 0) return {};
  return { revisitAfterSeconds: Math.ceil((Math.min(...ahead) - now.getTime()) / 1000) };
};

const describeFailure = (outcome: Extract<LaunchOutcome, { kind: "rolled_back" }>): string => {
  const { result } = outcome;
  return result.kind === "no_capacity" ? "no_capacity" : result.code;
};

/**
 * Jobs retried after a spot interruption get on-demand runners, so they are not hit twice. Runners
 * take whichever matching job GitLab hands out, so this is a count, not a binding: the pool holds
 * as many on-demand runners able to take a job as it has such retries pending.
 */
const onDemandWanted = (
  pool: PoolConfig,
  demand: readonly JobRecord[],
  poolRunners: readonly RunnerRecord[],
): number => {
  if (!pool.instance.retry_on_demand || pool.instance.market === "on-demand") return 0;
  const retries = demand.filter((job) => job.retryOfInterrupted).length;
  const covering = poolRunners.filter((runner) => runner.onDemand && canTakeJob(runner.state));
  return Math.max(0, retries - covering.length);
};

/** How soon a pass held back by a scope's registered-runner cap looks again. */
export const REGISTRATION_REVISIT_SECONDS = 5;

const reserveRunners = async (
  deps: ScalerDependencies,
  pool: PoolConfig,
  wanted: { readonly count: number; readonly onDemand: number; readonly ahead: number },
  caps: CapacityCaps,
): Promise<{ reserved: RunnerRecord[]; refusal?: ReserveOutcome }> => {
  const reserved: RunnerRecord[] = [];
  // A free registration of the pool is taken first: it needs no new GitLab runner, nor a slot in
  // the scope's cap (it holds one).
  const fingerprint = registrationFingerprint(pool);
  let noneFree = pool.runner.registrations !== "reuse";
  for (let i = 0; i < wanted.count; i++) {
    const at = deps.clock.now().toISOString();
    const runner: RunnerRecord = {
      name: deps.newRunnerName(pool.name),
      pool: pool.name,
      state: "reserved",
      createdAt: at,
      updatedAt: at,
      ...(i < wanted.onDemand && { onDemand: true }),
      // The last ones: those the pending jobs and idle_count did not ask for.
      ...(i >= wanted.count - wanted.ahead && { startedAhead: true }),
    };
    if (!noneFree) {
      const { registrations: _, ...slots } = caps;
      const taken = await deps.runners.takeRegistration(runner, fingerprint, slots);
      if (typeof taken === "object") {
        reserved.push(taken);
        continue;
      }
      if (taken !== "none_free") return { reserved, refusal: taken };
      noneFree = true;
    }
    const outcome = await deps.runners.reserve(runner, caps);
    if (outcome !== "reserved") return { reserved, refusal: outcome };
    reserved.push(runner);
  }
  return { reserved };
};

/**
 * Launch records whose pass died part-way (nothing touched them for a while) are finished here, each
 * on its own: one that fails again is reported with its pool and left for the next pass.
 */
const resumeStalledLaunches = async (
  deps: ScalerDependencies,
  live: readonly RunnerRecord[],
  limits: ScalerLimits,
  now: Date,
) => {
  const stalled = live.filter(
    (runner) =>
      LAUNCH_STATES.includes(runner.state) &&
      (now.getTime() - Date.parse(runner.updatedAt) >= limits.resumeAfterSeconds * 1000 ||
        (runner.retryAt !== undefined && Date.parse(runner.retryAt) <= now.getTime())),
  );
  // A pool removed from the config: its leftovers are the reaper's to clean.
  const resumed = [];
  for (const pool of deps.config.pools) {
    const ofPool = stalled.filter((runner) => runner.pool === pool.name);
    if (ofPool.length === 0) continue;
    const outcomes = await launchRunners(deps, ofPool, pool, limits.launchConcurrency);
    resumed.push({
      pool: pool.name,
      count: ofPool.length,
      errors: outcomes.filter(
        (outcome): outcome is Extract<LaunchOutcome, { kind: "errored" }> =>
          outcome.kind === "errored",
      ),
    });
  }
  return resumed;
};
