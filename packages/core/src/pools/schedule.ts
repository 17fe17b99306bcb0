import { Cron } from "croner";
import type { PoolConfig } from "./autoscaler-config";

/** The settings in force for a pool at one moment. */
export interface PoolSettings {
  readonly idleCount: number;
  readonly idleTimeSeconds: number;
  readonly maxInstances: number;
}

const compiled = new Map<string, Cron>();
const matcher = (pattern: string, timezone: string): Cron => {
  const key = `${timezone}|${pattern}`;
  let cron = compiled.get(key);
  if (!cron) {
    cron = new Cron(pattern, { timezone });
    compiled.set(key, cron);
  }
  return cron;
};

/**
 * The pool's settings at `now`: its defaults, overridden by every policy whose periods match, the
 * last matching policy winning (as in GitLab's autoscaler). Cron has minute resolution.
 */
export const poolSettingsAt = (pool: PoolConfig, now: Date): PoolSettings => {
  const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  let settings: PoolSettings = {
    idleCount: pool.idle_count,
    idleTimeSeconds: pool.idle_time,
    maxInstances: pool.max_instances,
  };
  for (const policy of pool.policy) {
    if (!policy.periods.some((pattern) => matcher(pattern, policy.timezone).match(minute)))
      continue;
    settings = {
      idleCount: policy.idle_count ?? settings.idleCount,
      idleTimeSeconds: policy.idle_time ?? settings.idleTimeSeconds,
      maxInstances: policy.max_instances ?? settings.maxInstances,
    };
  }
  return { ...settings, idleCount: Math.min(settings.idleCount, settings.maxInstances) };
};
