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
