import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { MetricName, reaperMetrics, reconcileMetrics, runReaperInvocation } from "@ger/core";
import type {
  ReaperDependencies,
  ReaperReport,
  ReconcileDependencies,
  ReconcileReport,
} from "@ger/core/types";
import middy from "@middy/core";
import { type Observability, publishApiThrottles, publishMetrics } from "../shared/observability";

export interface ReaperResult {
  readonly reap: Omit<ReaperReport, "actions">;
  readonly actions: readonly ReturnType<typeof summarize>[];
  readonly reconcile?: ReconcileReport;
}

/** The schedule sends no payload; an operator may invoke it with `{"dryRun": true}` (cli reap --dry-run). */
export type ReaperEvent = { readonly dryRun?: boolean; readonly source?: string } | undefined;

/**
 * The reaper Lambda, on a one-minute schedule: retire what is done or lost, clean orphans, then
 * reconcile demand with GitLab's API. A pass already running elsewhere makes it skip both.
 */
export const createReaperHandler = (
  deps: ReaperDependencies & ReconcileDependencies,
  observability: Observability,
) => {
  const { logger, metrics } = observability;
  return middy<ReaperEvent, ReaperResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(publishApiThrottles(observability))
    .handler(async (event) => {
      const invocation = await runReaperInvocation(deps, { dryRun: event?.dryRun === true });
      const {
        reap: { actions, ...reap },
        reconcile,
      } = invocation;
      const summary = actions.map(summarize);
      // Counted on every invocation, so the EMF blob is never empty.
      publishMetrics(metrics, [{ name: MetricName.ReaperPasses, value: 1 }]);
      logger.info(reap.dryRun ? "reaper dry run" : "reaper pass", { ...reap, actions: summary });
      if (!reconcile) return { reap, actions: summary };
      publishMetrics(metrics, reaperMetrics({ ...reap, actions }));
      const log = reconcile.webhookSuspect ? logger.error.bind(logger) : logger.info.bind(logger);
      log(
        reconcile.webhookSuspect
          ? "webhook suspect: GitLab has jobs no hook told us about, or no hook came for too long; check the project/group hook (it may be disabled)"
          : "demand reconciled",
        { ...reconcile },
      );
      publishMetrics(metrics, reconcileMetrics(reconcile));
      return { reap, actions: summary, reconcile };
    });
};

const summarize = (action: ReaperReport["actions"][number]) => {
  switch (action.kind) {
    case "retire":
      return {
        kind: action.kind,
        runner: action.runner.name,
        state: action.runner.state,
        reason: action.reason,
      };
    case "confirm_idle":
      return { kind: action.kind, runner: action.runner.name };
    case "terminate_orphan_instance":
      return {
        kind: action.kind,
        instanceId: action.instance.instanceId,
        launch: action.instance.launchId,
      };
    case "delete_orphan_gitlab_runner":
      return {
        kind: action.kind,
        gitlabRunnerId: action.gitlabRunner.id,
        description: action.gitlabRunner.description,
      };
  }
};
