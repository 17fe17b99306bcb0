import {
  type JobProgress,
  observeJobProgress,
  type ProgressOutcome,
} from "../runners/observe-progress";
import {
  DEFAULT_SCALER_LIMITS,
  runScalerPass,
  type ScalerDependencies,
  type ScalerLimits,
  type ScalerReport,
} from "./scale-up";

/**
 * A scheduled invocation (every minute) runs further passes when one asks to be revisited
 * (`revisitAfterSeconds`) within this many seconds of the invocation's start: a failed launch is
 * retried in seconds, not a minute, at no cost while nothing failed. Later ones are the next
 * scheduled invocation's. Below the schedule's period, so invocations do not overlap.
 */
export const SCALER_REVISIT_WITHIN_SECONDS = 50;

/** When the scheduled invocation that started at `startedAt` runs its next pass, if it does. */
export const nextRevisitSeconds = (
  report: Pick<ScalerReport, "revisitAfterSeconds">,
  startedAt: Date,
  now: Date,
): number | undefined => {
  const after = report.revisitAfterSeconds;
  if (after === undefined) return undefined;
  const elapsed = (now.getTime() - startedAt.getTime()) / 1000;
  return elapsed + after <= SCALER_REVISIT_WITHIN_SECONDS ? after : undefined;
};

export interface ScalerInvocation {
  readonly progress: ProgressOutcome;
  readonly report: ScalerReport;
}

/**
 * What one scaler invocation does, in Lambda, in the local stack and in the simulator alike: the
 * runners the hooks say took or finished a job are moved first, so the pass does not count them
 * as available, then one pass starts what demand needs.
 */
export const runScalerInvocation = async (
  deps: ScalerDependencies,
  progress: readonly JobProgress[],
  limits: ScalerLimits = DEFAULT_SCALER_LIMITS,
): Promise<ScalerInvocation> => {
  const observed = await observeJobProgress(deps, progress);
  const report = await runScalerPass(deps, limits);
  return { progress: observed, report };
};
