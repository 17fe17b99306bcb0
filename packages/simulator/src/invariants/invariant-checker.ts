import { type GitlabModel, type GitlabModelJob, poolSettingsAt, routeJob } from "@ger/core";
import type { AutoscalerConfig, PoolConfig } from "@ger/core/types";
import type { GitlabCallObserver } from "../faults/faulty-gitlab";
import type { VirtualTime } from "../world/virtual-time";
import type { ComputeObserver } from "../world/world-compute";
import type { StopCause, WorldInstance } from "../world/world-instance";
import { atRegistrationCap, PoolExcuses } from "./pool-excuses";
import type { WaitBound } from "./wait-bound";

/** The invariants a run is checked against (DESIGN, "Invariants"). */
export const INVARIANTS = {
  /** Real instances (pending, running) never above max_instances, per pool and in all. */
  maxInstances: "max_instances",
  /** No runner terminated (its instance, or its GitLab runner) while it runs a job, but by spot. */
  noBusyTermination: "no_busy_termination",
  /** A job killed by a spot interruption is retried exactly once; no job is retried twice. */
  retriedOnce: "retried_once",
  /** Each such retry, in a pool with retry_on_demand, gets an on-demand instance asked for it. */
  retryOnDemand: "retry_on_demand",
  /**
   * A job pending past the stated bound (see waitBound) has a runner on its way: per pool, no
   * more such jobs than instances booting (within a boot) or polling.
   */
  waitBound: "wait_bound",
  /** At the end: no instance, GitLab runner, stored token or ledger slot left. */
  cleanEnd: "clean_end",
} as const;

export type InvariantName = (typeof INVARIANTS)[keyof typeof INVARIANTS];

export interface InvariantViolation {
  /** Seconds since the run's start. */
  readonly atS: number;
  readonly invariant: InvariantName;
  readonly detail: string;
}

/** What the control plane still holds at the end (see Leftovers). */
export interface EndState {
  readonly instances: number;
  readonly gitlabRunners: number;
  readonly storedTokens: number;
  readonly ledgerSlots: number;
}

/** Violations kept per invariant; the rest are counted in one more entry. */
const KEPT_PER_INVARIANT = 20;

interface PendingJob {
  readonly pendingAtMs: number;
  readonly pool: string | undefined;
  readonly excusedMs: number;
}

/**
 * Watches the world as it changes and notes every break of an invariant, at the instant it
 * happens: the caps when an instance starts (the only time a count grows), terminations when an
 * instance starts shutting down or a GitLab runner is deleted, retries when one is asked, a job's
 * wait when it gets a runner; what is left, and what never ran, at the end.
 */
export class InvariantChecker implements ComputeObserver, GitlabCallObserver {
  private readonly violations: InvariantViolation[] = [];
  private readonly counts = new Map<InvariantName, number>();
  private readonly pools: Map<string, PoolConfig>;
  private readonly excuses: PoolExcuses;
  private readonly pending = new Map<number, PendingJob>();
  /** Overdue jobs reported already (once each). */
  private readonly reportedLate = new Set<number>();
  private readonly instanceOfJob = new Map<number, WorldInstance>();
  /** Jobs a spot interruption killed, by id; and each retried job's retry. */
  private readonly spotKilled = new Map<number, { pool: string; how: string }>();
  private readonly retryOf = new Map<number, number>();
  /** Per pool, when each retry of an interrupted job was made, and on-demand instances asked. */
  private readonly retriesOwed = new Map<string, number[]>();
  private readonly onDemandAsked = new Map<string, number[]>();
  /** When each retry owed an on-demand instance was asked, by the retry's job id. */
  private readonly retryAskedAt = new Map<number, { pool: string; atMs: number }>();
  private readonly startMs: number;

  constructor(
    private readonly time: VirtualTime,
    private readonly config: AutoscalerConfig,
    private readonly model: GitlabModel,
    readonly bound: WaitBound,
  ) {
    this.pools = new Map(config.pools.map((pool) => [pool.name, pool]));
    this.excuses = new PoolExcuses(
      config,
      time,
      { starvedForMs: bound.starvedForS * 1000, refillMs: bound.registrationRefillS * 1000 },
      (pool) => atRegistrationCap(model, pool),
    );
    model.on("runner", () => this.excuses.registrationsChanged());
    this.startMs = time.nowMillis;
  }

  /** A job's status changed in GitLab. */
  jobChanged(job: GitlabModelJob): void {
    const now = this.time.nowMillis;
    if (job.status === "pending" && !this.pending.has(job.id)) {
      const pool = routeJob(this.config.pools, {
        tags: job.tagList,
        projectId: job.projectId,
        groupIds: this.model.projectGroupIds(job.projectId),
      })?.name;
      this.pending.set(job.id, { pendingAtMs: now, pool, excusedMs: this.excuses.total(pool) });
    } else if (job.status !== "pending" && job.status !== "created") {
      this.pending.delete(job.id);
      this.reportedLate.delete(job.id);
    }
  }

  /**
   * Per pool: the jobs pending longer than the bound (time at a cap or without capacity not
   * counted) against the instances that may still take one: polling, or booting for no longer
   * than a boot. Runners take the oldest job they may, not the one they were started for, so a job
   * may be passed over while its pool has enough coming: only a shortfall of runners is a break.
   */
  checkCoverage(instances: Iterable<WorldInstance>): void {
    const now = this.time.nowMillis;
    const free = new Map<string, number>();
    for (const instance of instances) {
      const booting =
        instance.phase === "booting" && now - instance.launchedAtMs <= this.bound.bootS * 1000;
      if (instance.phase === "idle" || booting)
        free.set(instance.pool, (free.get(instance.pool) ?? 0) + 1);
    }
    const overdue = new Map<string, { jobId: number; waiting: PendingJob; owedMs: number }[]>();
    for (const [jobId, waiting] of this.pending) {
      if (waiting.pool === undefined) continue;
      const excusedMs = this.excuses.total(waiting.pool) - waiting.excusedMs;
      const owedMs = now - waiting.pendingAtMs - excusedMs;
      if (owedMs > this.bound.seconds * 1000)
        push(overdue, waiting.pool, { jobId, waiting, owedMs });
    }
    for (const [pool, late] of overdue) {
      const short = late.length - (free.get(pool) ?? 0);
      if (short <= 0) continue;
      const oldest = late.sort((a, b) => b.owedMs - a.owedMs).slice(0, short);
      for (const { jobId, waiting } of oldest) {
        if (this.reportedLate.has(jobId)) continue;
        this.reportedLate.add(jobId);
        this.lateJob(
          jobId,
          waiting,
          `has no runner on its way (${late.length} overdue, ${free.get(pool) ?? 0} coming)`,
        );
      }
    }
  }

  /** A runner on `instance` started the job's script. */
  jobStarted(job: GitlabModelJob, instance: WorldInstance): void {
    this.instanceOfJob.set(job.id, instance);
    // No on-demand instance can beat a runner already up when the retry was made: GitLab hands
    // the retry to whichever matching runner asks first, and such a retry owes nothing.
    const asked = this.retryAskedAt.get(job.id);
    if (asked && !instance.onDemandAsked && instance.launchedAtMs < asked.atMs) {
      const owed = this.retriesOwed.get(asked.pool) ?? [];
      const at = owed.indexOf(asked.atMs);
      if (at >= 0) owed.splice(at, 1);
    }
  }

  started(instance: WorldInstance): void {
    const pool = this.pools.get(instance.pool);
    this.excuses.started(instance.pool);
    if (instance.onDemandAsked) push(this.onDemandAsked, instance.pool, this.time.nowMillis);
    const up = this.excuses.upIn(instance.pool);
    const poolMax = pool ? poolSettingsAt(pool, this.time.now()).maxInstances : 0;
    if (up > poolMax)
      this.note(
        INVARIANTS.maxInstances,
        `pool ${instance.pool}: ${up} instances, max_instances ${poolMax} (${instance.instanceId} launched)`,
      );
    if (this.excuses.upCount > this.config.max_instances)
      this.note(
        INVARIANTS.maxInstances,
        `${this.excuses.upCount} instances in all, max_instances ${this.config.max_instances} (${instance.instanceId} launched)`,
      );
  }

  stopping(instance: WorldInstance, cause: StopCause): void {
    this.excuses.stopped(instance.pool);
    const jobId = instance.runningJobId;
    if (jobId === undefined && instance.phase !== "busy") return;
    const job = jobId === undefined ? "a job" : `job ${jobId}`;
    const warnedS =
      instance.spotWarnedAtMs === undefined
        ? undefined
        : Math.round((this.time.nowMillis - instance.spotWarnedAtMs) / 1000);
    if (cause === "reclaimed" || (cause === "terminated" && warnedS !== undefined)) {
      const how =
        cause === "reclaimed"
          ? `reclaimed by EC2 ${warnedS} s after the warning`
          : `terminated by the control plane ${warnedS} s after the warning`;
      if (jobId !== undefined) this.spotKilled.set(jobId, { pool: instance.pool, how });
    } else if (cause === "terminated")
      this.note(
        INVARIANTS.noBusyTermination,
        `${instance.instanceId} (pool ${instance.pool}) terminated while running ${job}`,
      );
  }

  launched(pool: string, gotInstances: boolean): void {
    this.excuses.launched(pool, gotInstances);
  }

  retryMade(jobId: number, retryId: number): void {
    if (this.retryOf.has(jobId)) {
      this.note(INVARIANTS.retriedOnce, `job ${jobId}: a second retry was made`);
      return;
    }
    this.retryOf.set(jobId, retryId);
    const pool = this.pools.get(this.instanceOfJob.get(jobId)?.pool ?? "");
    if (pool?.instance.retry_on_demand && pool.instance.market !== "on-demand") {
      push(this.retriesOwed, pool.name, this.time.nowMillis);
      this.retryAskedAt.set(retryId, { pool: pool.name, atMs: this.time.nowMillis });
    }
  }

  runnerDeleted(runnerId: number, runningJobs: readonly number[]): void {
    for (const jobId of runningJobs) {
      const instance = this.instanceOfJob.get(jobId);
      if (instance?.spotWarnedAtMs !== undefined) continue;
      this.note(
        INVARIANTS.noBusyTermination,
        `GitLab runner ${runnerId} deleted while running job ${jobId}${instance ? ` on ${instance.instanceId}` : ""}`,
      );
    }
  }

  /** The checks of the end; then every violation, in the order they happened. */
  finish(end: EndState): InvariantViolation[] {
    // A job reported late is not reported again.
    for (const [jobId, waiting] of this.pending)
      if (waiting.pool !== undefined && !this.reportedLate.has(jobId))
        this.lateJob(jobId, waiting, "never ran");
    for (const [jobId, { pool, how }] of this.spotKilled)
      if (!this.retryOf.has(jobId))
        this.note(
          INVARIANTS.retriedOnce,
          `job ${jobId} (pool ${pool}) died in a spot interruption (${how}) and was never retried`,
        );
    for (const [pool, owed] of this.retriesOwed) {
      const unmet = unmatched(owed, this.onDemandAsked.get(pool) ?? []);
      if (unmet > 0)
        this.note(
          INVARIANTS.retryOnDemand,
          `pool ${pool}: ${unmet} of ${owed.length} retries of interrupted jobs got no on-demand instance asked after them`,
        );
    }
    const left = Object.entries(end).filter(([, count]) => count > 0);
    if (left.length > 0)
      this.note(
        INVARIANTS.cleanEnd,
        `left at the end: ${left.map(([what, count]) => `${count} ${what}`).join(", ")}`,
      );
    const more = [...this.counts].flatMap(([invariant, count]) =>
      count > KEPT_PER_INVARIANT
        ? [{ atS: this.atS(), invariant, detail: `and ${count - KEPT_PER_INVARIANT} more` }]
        : [],
    );
    return [...this.violations, ...more];
  }

  /** Violations so far, kept or not. */
  get total(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  private lateJob(jobId: number, waiting: PendingJob, what: string): void {
    const now = this.time.nowMillis;
    const excusedS = Math.round((this.excuses.total(waiting.pool) - waiting.excusedMs) / 1000);
    const waitedS = Math.round((now - waiting.pendingAtMs) / 1000);
    this.note(
      INVARIANTS.waitBound,
      `job ${jobId} (pool ${waiting.pool}) ${what}: pending ${waitedS} s, ${excusedS} s of it at a cap or without capacity; bound ${this.bound.seconds} s`,
    );
  }

  private note(invariant: InvariantName, detail: string, atS = this.atS()): void {
    const count = (this.counts.get(invariant) ?? 0) + 1;
    this.counts.set(invariant, count);
    if (count <= KEPT_PER_INVARIANT)
      this.violations.push({ atS: Math.round(atS * 10) / 10, invariant, detail });
  }

  private atS(): number {
    return (this.time.nowMillis - this.startMs) / 1000;
  }
}

const push = <T>(map: Map<string, T[]>, key: string, value: T) => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};

/** Retries (times, ascending) left over when each asked instance meets the oldest open before it. */
const unmatched = (owed: readonly number[], asked: readonly number[]): number => {
  let open = 0;
  let next = 0;
  for (const at of asked) {
    while (next < owed.length && (owed[next] as number) <= at) {
      open += 1;
      next += 1;
    }
    if (open > 0) open -= 1;
  }
  return open + (owed.length - next);
};
