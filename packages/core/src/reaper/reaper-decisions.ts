import { FRESH_DEMAND_SECONDS } from "../jobs/passed-over";
import type { AutoscalerConfig } from "../pools/autoscaler-config";
import { poolSettingsAt } from "../pools/schedule";
import type { ComputeInstance } from "../ports/compute";
import type { GitlabRunner } from "../ports/gitlab";
import { poolKeeps, type Registration } from "../runners/registration";
import { runnerNameFromDescription } from "../runners/runner-identity";
import { type RunnerRecord, registrationNameOf } from "../runners/runner-record";

/** How long something may look orphaned before it is treated as one: longer than any launch step. */
export const ORPHAN_GRACE_SECONDS = 300;
/** A launch the scaler has not finished this long after its reservation is rolled back. */
export const STALLED_LAUNCH_SECONDS = 600;
/** EC2's listing lags a launch by a little; an instance missing for less is not yet "gone". */
export const INSTANCE_LISTING_LAG_SECONDS = 60;

/** A retirement that has not finished in this long died part-way; the reaper does it again. */
export const RETIREMENT_RETRY_SECONDS = 60;
/**
 * The same, for a retirement whose instance is already gone: no job can run there any more, so
 * only the time an in-flight retirement needs to finish its calls is waited for.
 */
export const RETIREMENT_IN_FLIGHT_SECONDS = 30;

export type RetireReason =
  | "retirement_retry"
  | "finished"
  | "boot_timeout"
  | "idle_timeout"
  | "instance_gone"
  | "stalled_launch"
  | "job_timeout"
  | "drained";

export type ReaperAction =
  /** Terminate (if any), delete the GitLab runner and token, release the slot. */
  | {
      readonly kind: "retire";
      readonly runner: RunnerRecord;
      readonly reason: RetireReason;
      readonly instanceIds: readonly string[];
      /** Ask GitLab first and spare the runner if it is running a job. */
      readonly confirmNotBusy: boolean;
    }
  /**
   * An idle runner that let demand older than a minute wait (it polls every few seconds) is likely
   * busy with a job whose hook was lost: GitLab is asked, and a busy one is recorded so, or the
   * scaler would count it as covering a job it will never take. Never retires.
   */
  | { readonly kind: "confirm_idle"; readonly runner: RunnerRecord }
  | { readonly kind: "terminate_orphan_instance"; readonly instance: ComputeInstance }
  | {
      readonly kind: "delete_orphan_gitlab_runner";
      readonly gitlabRunner: Pick<GitlabRunner, "id" | "description">;
    }
  /** A kept registration no runner will take: its GitLab runner and token are deleted. */
  | { readonly kind: "expire_registration"; readonly registration: Registration };

export interface ReaperFacts {
  readonly now: Date;
  readonly config: AutoscalerConfig;
  /** Live runner records. */
  readonly runners: readonly RunnerRecord[];
  /** This deployment's instances that are not terminated. */
  readonly instances: readonly ComputeInstance[];
  /** GitLab runners in the pools' scopes (anyone's; ours are recognised by description). */
  readonly gitlabRunners: readonly Pick<GitlabRunner, "id" | "description" | "status">[];
  /** Fresh pending jobs routed to each pool (see isFreshDemand): an idle runner may take one. */
  readonly pendingByPool: Readonly<Record<string, number>>;
  /** Pending jobs routed to each pool that are no longer fresh: idle runners passed them over. */
  readonly waitingByPool: Readonly<Record<string, number>>;
  /** Pools an operator drained: no warm runners are kept there. */
  readonly drainedPools: ReadonlySet<string>;
  /** Registrations kept between jobs. */
  readonly registrations: readonly Registration[];
}

const secondsSince = (iso: string, now: Date) => (now.getTime() - Date.parse(iso)) / 1000;

const LAUNCHING = new Set(["reserved", "registered", "launching"]);

/** The states in which an instance may still run a job. */
const UP = new Set(["pending", "running"]);

/**
 * Booting runners that GitLab lists as online and whose instance EC2 lists as up. GitLab calls a
 * runner online for two hours after its last contact, so online alone would revive a runner whose
 * instance ended while its EC2 event was lost: counted as supply, it would hold back launches
 * until the reaper saw the instance gone.
 */
export const listedOnline = (
  runners: readonly RunnerRecord[],
  gitlabRunners: ReaperFacts["gitlabRunners"],
  instances: ReaperFacts["instances"],
): RunnerRecord[] => {
  const online = new Set(
    gitlabRunners.filter((runner) => runner.status === "online").map((runner) => runner.id),
  );
  const up = new Set(
    instances.filter((instance) => UP.has(instance.state)).map((instance) => instance.instanceId),
  );
  return runners.filter(
    (runner) =>
      runner.state === "booting" &&
      runner.gitlabRunnerId !== undefined &&
      online.has(runner.gitlabRunnerId) &&
      runner.instanceId !== undefined &&
      up.has(runner.instanceId),
  );
};

/**
 * Of those, the runners with a GitLab runner of their own: they have polled GitLab for a job, so
 * they booted and are idle from now on (the listing is the one the orphan check reads anyway: no
 * extra call). One that took over a registration was online for its earlier instance: its
 * contact is checked apart (hasPolledSince).
 */
export const runnersCameOnline = (
  runners: readonly RunnerRecord[],
  gitlabRunners: ReaperFacts["gitlabRunners"],
  instances: ReaperFacts["instances"],
): RunnerRecord[] =>
  listedOnline(runners, gitlabRunners, instances).filter(
    (runner) => runner.pastJobIds === undefined,
  );

/**
 * Which listed instances are each runner's: the one its record names. A record still launching,
 * or one that never learnt its instance, may own any unclaimed instance of its launch (the
 * listing omits ended instances, so places in the launch cannot be told from it): those are not
 * orphans while such a record lives, and they are why a stalled launch is confirmed with GitLab.
 */
const instanceOwnership = (facts: ReaperFacts) => {
  const byId = new Map(facts.instances.map((instance) => [instance.instanceId, instance]));
  const claimed = new Set(facts.runners.flatMap((runner) => runner.instanceId ?? []));
  const unclaimed = new Map<string, ComputeInstance[]>();
  for (const instance of facts.instances)
    if (!claimed.has(instance.instanceId))
      unclaimed.set(instance.launchId, [...(unclaimed.get(instance.launchId) ?? []), instance]);
  const launchOf = (runner: RunnerRecord) => runner.launchId ?? runner.name;
  const awaited = new Set(
    facts.runners.filter((runner) => runner.instanceId === undefined).map(launchOf),
  );
  return {
    /** The instance the runner's record names, if EC2 lists it. */
    of: (runner: RunnerRecord) =>
      runner.instanceId === undefined ? undefined : byId.get(runner.instanceId),
    /** Unclaimed instances of the launch of a runner that does not know its own. */
    mayBeOf: (runner: RunnerRecord) =>
      runner.instanceId === undefined ? (unclaimed.get(launchOf(runner)) ?? []) : [],
    isOrphan: (instance: ComputeInstance) =>
      !claimed.has(instance.instanceId) && !awaited.has(instance.launchId),
  };
};

/**
 * What one reaper pass should do, from what the records, EC2 and GitLab say. Pure: the caller
 * carries the actions out (and confirms with GitLab before touching a runner that might be busy).
 */
export const decideReaperActions = (facts: ReaperFacts): ReaperAction[] => {
  const { now, config } = facts;
  const pools = new Map(config.pools.map((pool) => [pool.name, pool]));
  const ownership = instanceOwnership(facts);
  const actions: ReaperAction[] = [];
  const retire = (runner: RunnerRecord, reason: RetireReason, confirmNotBusy = false) =>
    actions.push({
      kind: "retire",
      runner,
      reason,
      instanceIds: [ownership.of(runner)?.instanceId ?? []].flat(),
      confirmNotBusy,
    });

  // Idle runners past idle_time, newest kept while the pool wants warm runners or has fresh
  // demand. Older demand they did not take in their idle_time is no reason to keep them: they
  // cannot take it, or they are busy with a job whose hook was lost (GitLab is asked first).
  const idleByPool = new Map<string, RunnerRecord[]>();
  for (const runner of facts.runners) {
    const pool = pools.get(runner.pool);
    const age = secondsSince(runner.updatedAt, now);
    const instanceGone =
      runner.instanceId !== undefined &&
      !facts.instances.some((instance) => instance.instanceId === runner.instanceId) &&
      age > INSTANCE_LISTING_LAG_SECONDS;
    if (runner.state === "retiring") {
      // A retirement that failed before its instance ended (TerminateInstances refused) left a
      // runner that may have taken a job since: GitLab is asked first, as for any live runner.
      // One whose instance is gone holds a slot for nothing: it is finished as soon as it is not
      // in flight any more.
      const instance = ownership.of(runner);
      const alive = instance !== undefined && UP.has(instance.state);
      if (age > (alive ? RETIREMENT_RETRY_SECONDS : RETIREMENT_IN_FLIGHT_SECONDS))
        retire(runner, "retirement_retry", alive);
    } else if (LAUNCHING.has(runner.state)) {
      // Its instance may be up and running a job although the record never said booting.
      const hasInstance = ownership.mayBeOf(runner).length > 0;
      // From its reservation: a step failing again and again touches the record each time.
      if (secondsSince(runner.createdAt, now) > STALLED_LAUNCH_SECONDS)
        retire(runner, "stalled_launch", hasInstance);
    } else if (runner.state === "finished") {
      // Hooks say so, and hooks can be forged: GitLab confirms it runs no job. (An instance that
      // powered off is retired by its EC2 event, without asking.)
      retire(runner, "finished", true);
    } else if (instanceGone) {
      retire(runner, "instance_gone");
    } else if (runner.state === "booting") {
      if (age > (pool?.boot_timeout ?? 600)) retire(runner, "boot_timeout", true);
    } else if (runner.state === "busy") {
      // Never reaped while GitLab may still run its job; past the job timeout, GitLab is asked.
      if (age > (pool?.runner.maximum_timeout ?? 3600) + ORPHAN_GRACE_SECONDS)
        retire(runner, "job_timeout", true);
    } else if (runner.state === "idle") {
      idleByPool.set(runner.pool, [...(idleByPool.get(runner.pool) ?? []), runner]);
    }
  }
  for (const [poolName, idle] of idleByPool) {
    // A drained pool keeps no idle runner, not even for idle_time: it is being emptied.
    if (facts.drainedPools.has(poolName)) {
      for (const runner of idle) retire(runner, "drained", true);
      continue;
    }
    const pool = pools.get(poolName);
    const settings = pool ? poolSettingsAt(pool, now) : { idleCount: 0, idleTimeSeconds: 0 };
    const keep = Math.max(settings.idleCount, facts.pendingByPool[poolName] ?? 0);
    const newestFirst = [...idle].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    newestFirst.forEach((runner, place) => {
      const idleFor = secondsSince(runner.updatedAt, now);
      if (place >= keep && idleFor > settings.idleTimeSeconds) retire(runner, "idle_timeout", true);
      else if ((facts.waitingByPool[poolName] ?? 0) > 0 && idleFor > FRESH_DEMAND_SECONDS)
        actions.push({ kind: "confirm_idle", runner });
    });
  }

  for (const instance of facts.instances) {
    const old = secondsSince(instance.launchedAt, now) > ORPHAN_GRACE_SECONDS;
    if (old && ownership.isOrphan(instance))
      actions.push({ kind: "terminate_orphan_instance", instance });
  }
  for (const registration of facts.registrations)
    if (registration.state === "expiring" || !keepsRegistration(facts, registration))
      actions.push({ kind: "expire_registration", registration });

  // A GitLab runner's description names its registration: the live runner running as it, or a
  // registration kept between jobs, owns it.
  const byName = new Map<string, { gitlabRunnerId?: number; since: string }>();
  for (const kept of facts.registrations)
    byName.set(kept.name, { gitlabRunnerId: kept.gitlabRunnerId, since: kept.freeSince });
  for (const runner of facts.runners)
    byName.set(registrationNameOf(runner), {
      ...(runner.gitlabRunnerId !== undefined && { gitlabRunnerId: runner.gitlabRunnerId }),
      since: runner.updatedAt,
    });
  for (const gitlabRunner of facts.gitlabRunners) {
    const name = runnerNameFromDescription(config.deployment, gitlabRunner.description);
    if (name === undefined) continue;
    const owner = byName.get(name);
    // The record is written before the GitLab runner is created, and a registration is kept in
    // the write that ends its record, so no owner means it was retired.
    const recordLost = !owner;
    const duplicate =
      owner?.gitlabRunnerId !== undefined &&
      owner.gitlabRunnerId !== gitlabRunner.id &&
      secondsSince(owner.since, now) > ORPHAN_GRACE_SECONDS;
    if (recordLost || duplicate)
      actions.push({ kind: "delete_orphan_gitlab_runner", gitlabRunner });
  }
  return actions;
};

/**
 * A free registration is kept while its pool still keeps registrations made as it asks for them
 * now, is not drained, and has used it within `runner.registration_idle_time`.
 */
const keepsRegistration = (facts: ReaperFacts, registration: Registration): boolean => {
  const pool = facts.config.pools.find((candidate) => candidate.name === registration.pool);
  return (
    pool !== undefined &&
    poolKeeps(pool, registration.fingerprint) &&
    !facts.drainedPools.has(pool.name) &&
    secondsSince(registration.freeSince, facts.now) <= pool.runner.registration_idle_time
  );
};
