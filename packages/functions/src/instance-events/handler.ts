import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { handleInstanceEvent, MetricName } from "@ger/core";
import type { InstanceEventDependencies, InstanceEventOutcome } from "@ger/core/types";
import middy from "@middy/core";
import { type Observability, publishApiThrottles, publishMetrics } from "../shared/observability";
import { toInstanceEvent } from "./ec2-event";

/** EC2 state changes and spot warnings from EventBridge: runners retire without waiting for the reaper. */
export const createInstanceEventsHandler = (
  deps: InstanceEventDependencies,
  observability: Observability,
) => {
  const { logger, metrics } = observability;
  return middy<unknown, { readonly outcome: InstanceEventOutcome | "unrecognised" }>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(publishApiThrottles(observability))
    .handler(async (event) => {
      const instanceEvent = toInstanceEvent(event);
      publishMetrics(metrics, [{ name: MetricName.InstanceEventsReceived, value: 1 }]);
      if (!instanceEvent) {
        logger.warn("not an EC2 event this function handles", {
          detailType: (event as Record<string, unknown>)?.["detail-type"],
        });
        return { outcome: "unrecognised" };
      }
      const outcome = await handleInstanceEvent(deps, instanceEvent);
      logger.info("instance event", { ...instanceEvent, outcome });
      publishMetrics(metrics, [
        {
          name: MetricName.InstanceEvents,
          value: 1,
          dimensions: { Kind: instanceEvent.kind, Outcome: outcome },
        },
      ]);
      return { outcome };
    });
};
