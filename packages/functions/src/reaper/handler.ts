import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { reaperMetrics, runReaperPass } from "@ger/core";
import type { ReaperDependencies, ReaperReport } from "@ger/core/types";
import middy from "@middy/core";
import { type Observability, publishMetrics } from "../shared/observability";

/** The reaper Lambda, on a one-minute schedule; a pass already running elsewhere makes it skip. */
export const createReaperHandler = (deps: ReaperDependencies, { logger, metrics }: Observability) =>
  middy<unknown, Omit<ReaperReport, "actions">>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async () => {
      const { actions, ...report } = await runReaperPass(deps);
      logger.info("reaper pass", {
        ...report,
        actions: actions.map((action) => summarize(action)),
      });
      publishMetrics(metrics, reaperMetrics({ ...report, actions }));
      return report;
    });

const summarize = (action: ReaperReport["actions"][number]) => {
  switch (action.kind) {
    case "retire":
      return {
        kind: action.kind,
        runner: action.runner.name,
        state: action.runner.state,
        reason: action.reason,
      };
    case "terminate_orphan_instance":
      return {
        kind: action.kind,
        instanceId: action.instance.instanceId,
        runner: action.instance.runnerName,
      };
    case "delete_orphan_gitlab_runner":
      return {
        kind: action.kind,
        gitlabRunnerId: action.gitlabRunner.id,
        description: action.gitlabRunner.description,
      };
  }
};
