import type { AutoscalerConfig, PoolConfig } from "../pools/autoscaler-config";
import { poolSettingsAt } from "../pools/schedule";
import type { DemandStore } from "../ports/demand-store";
import type { JobDurations } from "../ports/job-durations";
import {
  durationKeysFor,
  estimateFutureJobs,
  type FutureJob,
  launchAtOf,
} from "./pending-estimate";

/**
 * Pipelines made longer ago than this are not looked ahead in: their later stages wait a boot, as
 * without lookahead. It bounds what every pass reads (the index is sorted by creation).
 */
export const LOOKAHEAD_WINDOW_SECONDS = 6 * 3600;

export interface LookaheadDemand {
  /** Future jobs whose runner some pool would launch now (by the longest lead time). */
  readonly due: readonly FutureJob[];
  /** The soonest launch still ahead, by the longest lead time (epoch ms). */
  readonly nextLaunchAt?: number;
}

const NONE: LookaheadDemand = { due: [] };

/** The longest lead time of the pools that look ahead; undefined when none does. */
const longestLead = (pools: readonly PoolConfig[]): number | undefined => {
  const leads = pools.filter((pool) => pool.lookahead.enabled).map((p) => p.lookahead.lead_time);
  return leads.length > 0 ? Math.max(...leads) : undefined;
};

/**
 * The future demand of recent pipelines whose launch time has come for at least one pool: read
 * only when some pool looks ahead. Each pool then keeps those its own lead time makes due.
 */
export const readLookaheadDemand = async (
  deps: {
    readonly demand: DemandStore;
    readonly durations: JobDurations;
    readonly config: Pick<AutoscalerConfig, "pools">;
  },
  now: Date,
): Promise<LookaheadDemand> => {
  const lead = longestLead(deps.config.pools);
  if (lead === undefined) return NONE;
  const since = new Date(now.getTime() - LOOKAHEAD_WINDOW_SECONDS * 1000);
  const { jobs, halts } = await deps.demand.listPipelineDemand(now, since);
  const keys = durationKeysFor(jobs);
  if (keys.length === 0) return NONE;
  const durations = await deps.durations.recentDurations(keys, now);
  const future = estimateFutureJobs({ jobs, halts, durations, now });
  const due: FutureJob[] = [];
  let nextLaunchAt: number | undefined;
  for (const job of future) {
    const launchAt = launchAtOf(job, lead);
    if (launchAt <= now.getTime()) due.push(job);
    else nextLaunchAt = Math.min(nextLaunchAt ?? launchAt, launchAt);
  }
  return { due, ...(nextLaunchAt !== undefined && { nextLaunchAt }) };
};

/**
 * Whether `pool` launches for this future job by now, by its own lead time: from its launch
 * instant for one idle_time, as long as the runner started then waits for it. An estimate that
 * late is wrong; the job waits a boot instead of a runner started again every idle_time.
 */
export const dueForPool = (job: FutureJob, pool: PoolConfig, now: Date): boolean => {
  if (!pool.lookahead.enabled) return false;
  const launchAt = launchAtOf(job, pool.lookahead.lead_time);
  const { idleTimeSeconds } = poolSettingsAt(pool, now);
  return launchAt <= now.getTime() && now.getTime() < launchAt + idleTimeSeconds * 1000;
};
