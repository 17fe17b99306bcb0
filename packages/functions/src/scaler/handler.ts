import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { MetricName, runScalerInvocation, scalerMetrics } from "@ger/core";
import type { ScalerDependencies } from "@ger/core/types";
import middy from "@middy/core";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { type Observability, publishApiThrottles, publishMetrics } from "../shared/observability";
import { progressFromRecords } from "./stream-records";

/** Woken by the table's stream (new demand, runner progress) and by a one-minute schedule. */
export type ScalerEvent = DynamoDBStreamEvent | { readonly source?: string };

const isStreamEvent = (event: ScalerEvent): event is DynamoDBStreamEvent => "Records" in event;

/**
 * The scaler Lambda. A failed pass throws: Lambda then retries the stream batch, and the next
 * scheduled pass picks up whatever a failed one left (every step is idempotent).
 */
export const createScalerHandler = (deps: ScalerDependencies, observability: Observability) => {
  const { logger, metrics } = observability;
  return middy<ScalerEvent, { readonly launched: number }>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(publishApiThrottles(observability))
    .handler(async (event) => {
      const progress = isStreamEvent(event) ? progressFromRecords(event.Records) : [];
      const { progress: observed, report } = await runScalerInvocation(deps, progress);
      const { runnersMoved, retried, waits } = observed;
      const launched = report.pools.reduce((sum, pool) => sum + pool.launched, 0);
      const trigger = isStreamEvent(event) ? "stream" : "schedule";
      logger.info("scaler pass", {
        trigger,
        runnersMoved,
        retriedJobs: retried,
        launched,
        ...report,
      });
      if (report.quotaExceeded)
        logger.error("EC2 quota reached: launches stopped", { code: report.quotaExceeded });
      if (report.launchDenied)
        logger.error(
          "EC2 refused a launch for want of IAM permissions: launches stopped. Decode the message with `aws sts decode-authorization-message` and compare it with the scaler role's policy",
          { message: report.launchDenied },
        );
      publishMetrics(metrics, [
        ...scalerMetrics(report),
        { name: MetricName.JobsRetried, value: retried.length },
        ...waits.map(({ pool, seconds }) => ({
          name: MetricName.JobWaitTime,
          value: seconds,
          dimensions: { Pool: pool },
        })),
      ]);
      return { launched };
    });
};
