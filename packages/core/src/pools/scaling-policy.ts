import type { PoolSettings } from "./schedule";

/** A pool's runners by lifecycle phase, as the scaler counts them. */
export interface PoolSupply {
  /** Capacity reserved, GitLab runner or instance on its way (reserved, registered, launching). */
  readonly creating: number;
  /** Instance launched, runner not yet seen by GitLab. */
  readonly booting: number;
  /**
   * Booting for longer than the pool's straggler_after: it may still come up and take a job, but
   * it no longer counts as on its way, so another runner starts for the job it was started for.
   */
  readonly straggling: number;
  /**
   * Being created, but a launch step failed and waits out its backoff, or the launch has taken
   * longer than straggler_after (a crashed pass's): like a straggler, it covers no job.
   */
  readonly stalled: number;
  /** Runner polling GitLab for a job. */
  readonly idle: number;
  /** Runner running its one job: it will never take another. */
  readonly busy: number;
  /** Being stopped (finished, interrupted, reaped): takes no job. */
  readonly draining: number;
}

/** A pool with no runner in any phase. */
export const NO_SUPPLY: PoolSupply = {
  creating: 0,
  booting: 0,
  straggling: 0,
  stalled: 0,
  idle: 0,
  busy: 0,
  draining: 0,
};

export interface ScalingInput {
  readonly settings: PoolSettings;
  /** Pending jobs routed to this pool. */
  readonly pending: number;
  /**
   * Later-stage jobs routed to this pool whose runners lookahead launches now (bounded by the
   * pool's lookahead.max_runners): covered like pending jobs, before they are.
   */
  readonly ahead: number;
  readonly supply: PoolSupply;
  /** Capacity slots the ledger says are in use, in this pool and across all pools. */
  readonly poolSlotsInUse: number;
  readonly globalSlotsInUse: number;
  readonly globalMaxInstances: number;
}

/**
 * How many runners to start now. Demand is counted per pool, not per job: an ephemeral runner takes
 * whichever matching job GitLab hands it, so every runner that can still take a job (creating,
 * booting, idle) covers one pending job or one warm slot (idle_count). A straggler or a stalled
 * launch covers none, but stalled launches are replaced once at most: while GitLab or EC2 keeps
 * failing, the launches in flight stay within twice the demand instead of growing every pass.
 * Never negative, never past the pool's or the global cap; the ledger enforces the caps again
 * atomically when slots are taken.
 */
export const runnersToStart = (input: ScalingInput): number => {
  const { settings, pending, supply } = input;
  const needed = pending + settings.idleCount + input.ahead;
  const available = supply.creating + supply.booting + supply.idle;
  const wanted = Math.min(needed - available, 2 * needed - available - supply.stalled);
  return Math.max(0, Math.min(wanted, roomToStart(input)));
};

/** Runners the pool's and the global cap leave room for. */
export const roomToStart = (
  input: Pick<
    ScalingInput,
    "settings" | "poolSlotsInUse" | "globalSlotsInUse" | "globalMaxInstances"
  >,
): number =>
  Math.max(
    0,
    Math.min(
      input.settings.maxInstances - input.poolSlotsInUse,
      input.globalMaxInstances - input.globalSlotsInUse,
    ),
  );
