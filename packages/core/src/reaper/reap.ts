import { randomUUID } from "node:crypto";
import { mapWithConcurrency } from "../concurrency";
import type { AutoscalerConfig } from "../pools/autoscaler-config";
import { routableJob, routeJob } from "../pools/routing";
import { runnerScopeOf } from "../pools/runner-scope";
import type { Clock } from "../ports/clock";
import type { Compute } from "../ports/compute";
import type { DemandStore } from "../ports/demand-store";
import type { RunnerRegistry } from "../ports/gitlab";
import type { Lease } from "../ports/lease";
import type { PoolControls } from "../ports/pool-controls";
import type { RunnerStore } from "../ports/runner-store";
import type { TokenDrop } from "../ports/token-drop";
import { retireRunner } from "../runners/retire-runner";
import type { RunnerRecord } from "../runners/runner-record";
import {
  decideReaperActions,
  type ReaperAction,
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
  /** Booting runners GitLab listed as online, now idle (a dry run counts them, moves none). */
  readonly cameOnline: number;
  readonly orphanInstances: number;
  readonly orphanGitlabRunners: number;
  /** Actions left for the next pass (per-pass budget). */
  readonly deferred: number;
  readonly dryRun: boolean;
  readonly actions: readonly ReaperAction[];
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
  const counts: Record<string, number> = {};
  for (const job of await deps.demand.listPendingJobs(now)) {
    const facts = routableJob(job);
    const pool = facts && routeJob(deps.config.pools, facts);
    if (pool) counts[pool.name] = (counts[pool.name] ?? 0) + 1;
  }
  return counts;
};

/**
 * Before touching a runner that may be working, GitLab has the last word. A runner GitLab shows
 * busy or online is spared and its record brought up to date (with its instance, for a launch
 * whose record never got that far).
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
  if (gitlab.busy) {
    await deps.runners.transition(
      runner.name,
      [runner.state],
      { state: "busy", ...known },
      deps.clock.now(),
    );
    return true;
  }
  // A runner that has polled GitLab booted fine: it is idle, not stuck.
  if (PRE_IDLE.has(runner.state) && gitlab.status === "online") {
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
    cameOnline: 0,
    orphanInstances: 0,
    orphanGitlabRunners: 0,
    deferred: 0,
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
    const [listed, instances, gitlabRunners, pending, drainedPools] = await Promise.all([
      deps.runners.listLive(),
      deps.compute.listInstances(),
      listOurGitlabRunners(deps),
      pendingByPool(deps, now),
      deps.poolControls.drainedPools(),
    ]);
    const online = runnersCameOnline(listed, gitlabRunners, instances);
    const runners = dryRun ? listed : await markIdle(deps, listed, online, now);
    const actions = decideReaperActions({
      now,
      config: deps.config,
      runners,
      instances,
      gitlabRunners,
      pendingByPool: pending,
      drainedPools,
    });
    if (dryRun) return { skipped: false, ...empty, cameOnline: online.length, actions };
    const budget = options.maxActions ?? 50;
    const retired: Partial<Record<RetireReason, number>> = {};
    let sparedBusy = 0;
    let orphanInstances = 0;
    let orphanGitlabRunners = 0;
    await mapWithConcurrency(actions.slice(0, budget), 5, async (action) => {
      if (action.kind === "retire") {
        if (action.confirmNotBusy && (await stillNeeded(deps, action.runner, action.instanceIds)))
          return sparedBusy++;
        const resumeStalled = action.reason === "retirement_retry";
        if (
          await retireRunner(deps, action.runner, {
            instanceIds: action.instanceIds,
            resumeStalled,
          })
        )
          retired[action.reason] = (retired[action.reason] ?? 0) + 1;
      } else if (action.kind === "terminate_orphan_instance") {
        await deps.compute.terminate([action.instance.instanceId]);
        orphanInstances++;
      } else {
        await deps.registry.deleteRunner(action.gitlabRunner.id);
        orphanGitlabRunners++;
      }
    });
    return {
      skipped: false,
      retired,
      sparedBusy,
      cameOnline: online.length,
      orphanInstances,
      orphanGitlabRunners,
      deferred: Math.max(0, actions.length - budget),
      dryRun,
      actions,
    };
  } finally {
    if (!dryRun) await deps.lease.release(REAPER_LEASE, holder);
  }
};
