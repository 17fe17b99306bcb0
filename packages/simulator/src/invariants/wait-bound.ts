import { REGISTRATION_REVISIT_SECONDS } from "@ger/core";
import type { AutoscalerConfig } from "@ger/core/types";
import type { FaultKind, FaultSpec } from "../faults/fault-spec";
import { REORDER_WINDOW_S } from "../faults/hook-delivery";
import type { WorldSettings } from "../world/world-settings";

/** Launch attempts a job may lose in a row to refused or failed calls before it is late. */
export const LAUNCH_RETRIES = 3;
/** The scaler resumes a launch whose pass died after this (DEFAULT_SCALER_LIMITS.resumeAfterSeconds). */
const RESUME_AFTER_S = 60;
/** z of the 99.99th percentile: the boot time counted as "a boot". */
const Z_9999 = 3.719;

/** A bound and what it is made of, for the report. */
export interface WaitBound {
  readonly seconds: number;
  readonly parts: Readonly<Record<string, number>>;
  /** A boot (its 99.99th percentile): an instance booting longer may never register. */
  readonly bootS: number;
  /** How long EC2's refusal of capacity excuses a pool's waits: until the next scheduled pass. */
  readonly starvedForS: number;
  /**
   * How long a slot under GitLab's registered-runner cap may stay free (a runner deleted, none
   * created yet) and the scope still count as at its cap: the scaler's revisit of a scope it was
   * held in, twice, for the pass and the creation between.
   */
  readonly registrationRefillS: number;
}

/**
 * How long a pending job may go without a runner on its way (DESIGN, invariant 3), not counting
 * the time its pool was at a cap or EC2 had no capacity for it. The fault-free path: the hook's
 * delay and the stream's batch, a scheduled pass if the stream's missed it, one boot (its 99.99th
 * percentile) and one poll. Each fault present adds what it can cost a job once:
 *
 * - reorder: the hold-back window;
 * - drop, crash: a lost hook found by reconciliation, two reaper passes (one may be skipped for
 *   the lease a crashed pass left behind);
 * - capacity, throttle, gitlab5xx, crash: LAUNCH_RETRIES launches lost, a minute each (the next
 *   pass, or the resume of a launch whose pass failed);
 * - slowboot: the runner that never registers holds its place until the pool's boot_timeout, the
 *   reaper pass that retires it, and the scheduled scaler pass that replaces it (a retirement
 *   writes no demand: the stream does not wake the scaler);
 * - eventdrop: a runner whose end went unheard holds its slot until the reaper sees the instance
 *   gone (the listing's lag, and a pass).
 *
 * The parts add up: a job hit by several faults may be owed each. A job hit by one fault more
 * often than allowed here breaks the bound, and is reported: it is then for a reader to judge.
 */
export const waitBound = (
  settings: WorldSettings,
  config: AutoscalerConfig,
  faults: FaultSpec,
): WaitBound => {
  const on = (...kinds: FaultKind[]) => kinds.some((kind) => (faults[kind] ?? 0) > 0);
  const sigma = Math.log(settings.bootP95S / settings.bootMedianS) / 1.6448536269514722;
  const bootS = Math.ceil(settings.bootMedianS * Math.exp(Z_9999 * sigma));
  const parts: Record<string, number> = {
    hookAndStream: settings.hookDelayMaxS + settings.streamBatchWindowS,
    scheduledPass: settings.scalerScheduleS,
    boot: bootS,
    poll: settings.checkIntervalS,
  };
  if (on("reorder")) parts.reorder = REORDER_WINDOW_S;
  if (on("drop", "crash")) parts.lostHook = 2 * settings.reaperScheduleS;
  if (on("capacity", "throttle", "gitlab5xx", "crash"))
    parts.failedLaunches = LAUNCH_RETRIES * Math.max(RESUME_AFTER_S, settings.scalerScheduleS);
  if (on("slowboot"))
    parts.slowBoot =
      Math.max(...config.pools.map((pool) => pool.boot_timeout)) +
      settings.reaperScheduleS +
      settings.scalerScheduleS;
  if (on("eventdrop")) parts.lostEvent = 60 + settings.reaperScheduleS;
  return {
    seconds: Object.values(parts).reduce((sum, part) => sum + part, 0),
    parts,
    bootS,
    starvedForS: settings.scalerScheduleS,
    registrationRefillS: 2 * REGISTRATION_REVISIT_SECONDS,
  };
};
