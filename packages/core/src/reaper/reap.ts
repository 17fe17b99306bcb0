import { randomUUID } from "node:crypto";
import { mapWithConcurrency } from "../concurrency";
import { GitLabApiError } from "../errors";
import type { JobRecord } from "../jobs/job-record";
import { isFreshDemand, passedOverBy } from "../jobs/passed-over";
import type { AutoscalerConfig } from "../pools/autoscaler-config";
import { routableJob, routeJob } from "../pools/routing";
import { runnerScopeOf } from "../pools/runner-scope";
import { poolSettingsAt } from "../pools/schedule";
import type { Clock } from "../ports/clock";
import type { Compute } from "../ports/compute";
import type { DemandStore } from "../ports/demand-store";
import type { GitlabRunner, RunnerRegistry } from "../ports/gitlab";
import type { Lease } from "../ports/lease";
import type { PoolControls } from "../ports/pool-controls";
import type { RunnerStore } from "../ports/runner-store";
import type { TokenDrop } from "../ports/token-drop";
import { expireRegistration } from "../runners/expire-registration";
import { hasPolledSince, isJobOfRunner } from "../runners/registration";
import { retireRunner } from "../runners/retire-runner";
import { runnerNameFromDescription } from "../runners/runner-identity";
import { type RunnerRecord, registrationNameOf } from "../runners/runner-record";
import {
  decideReaperActions,
  listedOnline,
  type ReaperAction,
  type ReaperFacts,
  type RetireReason,
  runnersCameOnline,
} from "./reaper-decisions";

export interface ReaperDependencies {
  readonly config: AutoscalerConfig;
  readonly demand: DemandStore;
  readonly runners: RunnerStore;
  readonly registry: RunnerRegistry;
  readonly tokens: TokenDrop;
  readonly compute: Compute;
  readonly clock: Clock;
  readonly lease: Lease;
  readonly poolControls: PoolControls;
}

export interface ReaperReport {
  /** Another pass held the lease: this one did nothing. */
  readonly skipped: boolean;
  readonly retired: Readonly<Partial<Record<RetireReason, number>>>;
  /** Runners GitLab said were running a job, so they were spared. */
  readonly sparedBusy: number;
  /** Idle runners GitLab said were running a job (its hook was lost): now busy. */
  readonly foundBusy: number;
  /** Booting runners GitLab listed as online, now idle (a dry run counts them, moves none). */
  readonly cameOnline: number;
  readonly orphanInstances: number;
  readonly orphanGitlabRunners: number;
  /** Kept registrations deleted: idle past registration_idle_time, or their pool changed. */
  readonly registrationsExpired: number;
  /** Actions left for the next pass (per-pass budget). */
  readonly deferred: number;
  /** Actions that threw (GitLab or AWS answered an error): left for the next pass. */
  readonly failedActions: readonly FailedAction[];
  readonly dryRun: boolean;
  readonly actions: readonly ReaperAction[];
}

export interface FailedAction {
  readonly kind: ReaperAction["kind"];
  /** The runner's name, the instance id or the GitLab runner id it was about. */
  readonly target: string;
  readonly code: string;
  readonly message: string;
}

export interface ReaperOptions {
  /** Decide and report, change nothing. */
  readonly dryRun?: boolean;
  /** Actions carried out per pass: bounds one pass's EC2 and GitLab calls. */
  readonly maxActions?: number;
  readonly leaseSeconds?: number;
}

const REAPER_LEASE = "reaper";
/** States before a runner's first poll: GitLab showing it online moves it to idle. */
const PRE_IDLE = new Set(["launching", "booting"]);

const listOurGitlabRunners = async (deps: ReaperDependencies) => {
  const scopes = new Map(
    deps.config.pools.map((pool) => [JSON.stringify(runnerScopeOf(pool)), runnerScopeOf(pool)]),
  );
  const lists = await Promise.all(
    [...scopes.values()].map((scope) => deps.registry.listRunners(scope)),
  );
  const prefix = `${deps.config.deployment}/`;
  return lists.flat().filter((runner) => runner.description.startsWith(prefix));
};

const pendingByPool = async (deps: ReaperDependencies, now: Date) => {
  const byPool = new Map<string, JobRecord[]>();
  for (const job of await deps.demand.listPendingJobs(now)) {
    const facts = routableJob(job);
    const pool = facts && routeJob(deps.config.pools, facts);
    if (!pool) continue;
    const jobs = byPool.get(pool.name);
    if (jobs) jobs.push(job);
    else byPool.set(pool.name, [job]);
  }
  return byPool;
};

/** Pending jobs per pool that are fresh (see isFreshDemand), or not. */
const countsByPool = (
  pending: ReadonlyMap<string, readonly JobRecord[]>,
  now: Date,
  fresh: boolean,
): Record<string, number> =>
  Object.fromEntries(
    [...pending].map(([pool, jobs]) => [
      pool,
      jobs.filter((job) => isFreshDemand(job, now) === fresh).length,
    ]),
  );

/** An idle runner that waited out its idle_time has polled past its pool's pending jobs. */
const notePassedOver = async (
  deps: ReaperDependencies,
  runner: RunnerRecord,
  pending: ReadonlyMap<string, readonly JobRecord[]>,
  now: Date,
) => {
  const pool = deps.config.pools.find((candidate) => candidate.name === runner.pool);
  if (!pool) return;
  const { idleTimeSeconds } = poolSettingsAt(pool, now);
  const jobs = passedOverBy(
    pending.get(pool.name) ?? [],
    new Date(runner.updatedAt),
    idleTimeSeconds,
    now,
  );
  for (const job of jobs)
    await deps.demand.annotateJob(job.jobId, {
      passedOver: (job.passedOver ?? 0) + 1,
      lastPassedOverAt: now.toISOString(),
    });
};

/**
 * Before touching a runner that may be working, GitLab has the last word. A runner GitLab shows
 * busy, or running a job in its job listing, or online, is spared and its record brought up to
 * date (with its instance, for a launch whose record never got that far).
 */
const stillNeeded = async (
  deps: ReaperDependencies,
  runner: RunnerRecord,
  instanceIds: readonly string[],
): Promise<boolean> => {
  if (runner.gitlabRunnerId === undefined) return false;
  const gitlab = await deps.registry.getRunner(runner.gitlabRunnerId);
  if (!gitlab) return false;
  const [instanceId] = instanceIds;
  const known = runner.instanceId === undefined && instanceId ? { instanceId } : {};
  // GitLab's busy flag lags the job by up to a minute; its listing of the runner's jobs does not.
  // A runner that is not online has not polled for a job in two hours: no listing needed.
  // The busy flag is the registration's: on one taken over, it may be an earlier instance's job.
  const busy =
    (runner.pastJobIds === undefined && gitlab.busy) ||
    (gitlab.status === "online" &&
      (await deps.registry.listRunnerJobs(runner.gitlabRunnerId)).some(
        (job) => job.status === "running" && isJobOfRunner(runner, job),
      ));
  if (busy) {
    await deps.runners.transition(
      runner.name,
      [runner.state],
      { state: "busy", ...known },
      deps.clock.now(),
    );
    return true;
  }
  // A runner that has polled GitLab booted fine: it is idle, not stuck.
  if (PRE_IDLE.has(runner.state) && hasPolledSince(runner, gitlab)) {
    await deps.runners.transition(
      runner.name,
      [runner.state],
      { state: "idle", ...known },
      deps.clock.now(),
    );
    return true;
  }
  return false;
};

const targetOf = (action: ReaperAction): string => {
  switch (action.kind) {
    case "retire":
    case "confirm_idle":
      return action.runner.name;
    case "terminate_orphan_instance":
      return action.instance.instanceId;
    case "expire_registration":
      return action.registration.name;
    default:
      return String(action.gitlabRunner.id);
  }
};

/**
 * A GitLab runner found without an owner (or a duplicate of its owner's) is read for again before
 * it is deleted: a registration changes owner (record ↔ kept registration) in one write, but the
 * pass read the two lists apart. Registrations, then records, then registrations again: whichever
 * way it changed owner in between, one of the reads sees the owner. An owner that knows no GitLab
 * runner yet (it is being created) owns it too.
 */
const stillUnowned = async (
  deps: ReaperDependencies,
  gitlabRunner: Pick<GitlabRunner, "id" | "description">,
): Promise<boolean> => {
  const name = runnerNameFromDescription(deps.config.deployment, gitlabRunner.description);
  const owns = (id: number | undefined) => id === undefined || id === gitlabRunner.id;
  const kept = async () =>
    (await deps.runners.listRegistrations()).some(
      (registration) => registration.name === name && owns(registration.gitlabRunnerId),
    );
  if (await kept()) return false;
  const live = await deps.runners.listLive();
  if (live.some((runner) => registrationNameOf(runner) === name && owns(runner.gitlabRunnerId)))
    return false;
  return !(await kept());
};

/**
 * Booting runners that took over a registration, listed online, instance up: the listing's
 * status may be their earlier instance's (online means a contact in the past two hours), so
 * GitLab's `contacted_at` must come after this runner's record was made (one GET each).
 */
const takenOverCameOnline = async (
  deps: ReaperDependencies,
  runners: readonly RunnerRecord[],
  gitlabRunners: ReaperFacts["gitlabRunners"],
  instances: ReaperFacts["instances"],
): Promise<RunnerRecord[]> => {
  const candidates = listedOnline(runners, gitlabRunners, instances).filter(
    (runner) => runner.pastJobIds !== undefined,
  );
  const polled = await Promise.all(
    candidates.map(async (runner) => {
      const gitlab = await deps.registry
        .getRunner(runner.gitlabRunnerId as number)
        .catch(() => undefined);
      return gitlab !== undefined && hasPolledSince(runner, gitlab);
    }),
  );
  return candidates.filter((_, index) => polled[index]);
};

/** Moves the runners that came online to idle, from now; returns the records as they now stand. */
const markIdle = async (
  deps: ReaperDependencies,
  runners: readonly RunnerRecord[],
  online: readonly RunnerRecord[],
  now: Date,
): Promise<RunnerRecord[]> => {
  const moved = new Map<string, RunnerRecord>();
  for (const runner of online) {
    const idle = await deps.runners.transition(runner.name, ["booting"], { state: "idle" }, now);
    if (idle) moved.set(idle.name, idle);
  }
  return runners.map((runner) => moved.get(runner.name) ?? runner);
};

/**
 * One reaper pass: retire finished, stuck, idle-too-long and lost runners, clean orphans both ways.
 * One pass at a time (a lease); every step idempotent, so a pass that dies is finished by the next.
 */
export const runReaperPass = async (
  deps: ReaperDependencies,
  options: ReaperOptions = {},
): Promise<ReaperReport> => {
  const holder = randomUUID();
  const now = deps.clock.now();
  const dryRun = options.dryRun ?? false;
  const empty = {
    retired: {},
    sparedBusy: 0,
    foundBusy: 0,
    cameOnline: 0,
    orphanInstances: 0,
    orphanGitlabRunners: 0,
    registrationsExpired: 0,
    deferred: 0,
    failedActions: [],
    dryRun,
    actions: [],
  };
  if (
    !dryRun &&
    !(await deps.lease.tryAcquire(REAPER_LEASE, holder, options.leaseSeconds ?? 120, now))
  ) {
    return { skipped: true, ...empty };
  }
  try {
    const [listed, instances, gitlabRunners, pending, drainedPools, registrations] =
      await Promise.all([
        deps.runners.listLive(),
        deps.compute.listInstances(),
        // Without GitLab's listing the pass still retires what it can: it then sees no runner
        // come online and no orphan GitLab runner, which the next pass does.
        listOurGitlabRunners(deps).catch((error: unknown) => {
          if (error instanceof GitLabApiError && error.retryable) return [];
          throw error;
        }),
        pendingByPool(deps, now),
        deps.poolControls.drainedPools(),
        deps.runners.listRegistrations(),
      ]);
    const online = [
      ...runnersCameOnline(listed, gitlabRunners, instances),
      ...(await takenOverCameOnline(deps, listed, gitlabRunners, instances)),
    ];
    const runners = dryRun ? listed : await markIdle(deps, listed, online, now);
    const actions = decideReaperActions({
      now,
      config: deps.config,
      runners,
      instances,
      gitlabRunners,
      pendingByPool: countsByPool(pending, now, true),
      waitingByPool: countsByPool(pending, now, false),
      drainedPools,
      registrations,
    });
    if (dryRun) return { skipped: false, ...empty, cameOnline: online.length, actions };
    const budget = options.maxActions ?? 50;
    const retired: Partial<Record<RetireReason, number>> = {};
    let sparedBusy = 0;
    let foundBusy = 0;
    let orphanInstances = 0;
    let orphanGitlabRunners = 0;
    let registrationsExpired = 0;
    const carryOut = async (action: ReaperAction) => {
      if (action.kind === "retire") {
        if (action.confirmNotBusy && (await stillNeeded(deps, action.runner, action.instanceIds)))
          return sparedBusy++;
        const resumeStalled = action.reason === "retirement_retry";
        if (
          await retireRunner(deps, action.runner, {
            instanceIds: action.instanceIds,
            resumeStalled,
          })
        ) {
          retired[action.reason] = (retired[action.reason] ?? 0) + 1;
          if (action.reason === "idle_timeout")
            await notePassedOver(deps, action.runner, pending, now);
        }
      } else if (action.kind === "confirm_idle") {
        if (await stillNeeded(deps, action.runner, [])) foundBusy++;
      } else if (action.kind === "terminate_orphan_instance") {
        await deps.compute.terminate([action.instance.instanceId]);
        orphanInstances++;
      } else if (action.kind === "expire_registration") {
        if (await expireRegistration(deps, action.registration)) registrationsExpired++;
      } else if (await stillUnowned(deps, action.gitlabRunner)) {
        await deps.registry.deleteRunner(action.gitlabRunner.id);
        orphanGitlabRunners++;
      }
    };
    const failedActions: FailedAction[] = [];
    // One action that fails (a throttled call, a 5xx) must not hold back the others, nor the
    // reconciliation that follows the pass: each is idempotent, so the next pass retries it.
    await mapWithConcurrency(actions.slice(0, budget), 5, async (action) => {
      try {
        await carryOut(action);
      } catch (error) {
        const { name, message } = error instanceof Error ? error : new Error(String(error));
        failedActions.push({ kind: action.kind, target: targetOf(action), code: name, message });
      }
    });
    return {
      skipped: false,
      retired,
      sparedBusy,
      foundBusy,
      cameOnline: online.length,
      orphanInstances,
      orphanGitlabRunners,
      registrationsExpired,
      deferred: Math.max(0, actions.length - budget),
      failedActions,
      dryRun,
      actions,
    };
  } finally {
    if (!dryRun) await deps.lease.release(REAPER_LEASE, holder);
  }
};
