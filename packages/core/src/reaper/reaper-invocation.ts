import { type ReaperDependencies, type ReaperReport, runReaperPass } from "./reap";
import { type ReconcileDependencies, type ReconcileReport, reconcileDemand } from "./reconcile";

export interface ReaperInvocation {
  readonly reap: ReaperReport;
  /** Absent for a dry run, and when another pass held the lease. */
  readonly reconcile?: ReconcileReport;
}

/**
 * What one reaper invocation does, wherever it runs: retire what is done or lost and clean
 * orphans, then reconcile demand with GitLab. A pass already running elsewhere skips both.
 */
export const runReaperInvocation = async (
  deps: ReaperDependencies & ReconcileDependencies,
  { dryRun = false }: { readonly dryRun?: boolean } = {},
): Promise<ReaperInvocation> => {
  const reap = await runReaperPass(deps, { dryRun });
  if (reap.dryRun || reap.skipped) return { reap };
  return { reap, reconcile: await reconcileDemand(deps) };
};
