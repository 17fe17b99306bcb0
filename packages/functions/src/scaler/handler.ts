import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { MetricName, nextRevisitSeconds, runScalerInvocation, scalerMetrics } from "@ger/core";
import type { JobProgress, ScalerDependencies } from "@ger/core/types";
import middy from "@middy/core";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { type Observability, publishApiThrottles, publishMetrics } from "../shared/observability";
import { progressFromRecords } from "./stream-records";

/** Woken by the table's stream (new demand, runner progress) and by a one-minute schedule. */
export type ScalerEvent = DynamoDBStreamEvent | { readonly source?: string };

const isStreamEvent = (event: ScalerEvent): event is DynamoDBStreamEvent => "Records" in event;

/** Waits `seconds`; the scheduled invocation sleeps between its passes. */
export type Sleep = (seconds: number) => Promise<void>;

const realSleep: Sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** A pass may take this long: no pass starts with less time than this left in the invocation. */
const PASS_BUDGET_SECONDS = 10;

/**
 * The scaler Lambda. A failed pass throws: Lambda then retries the stream batch, and the next
 * scheduled pass picks up whatever a failed one left (every step is idempotent). A scheduled
 * invocation runs further passes while one asks to be revisited within its window (a failed launch
 * due for its retry, a straggler to replace): a stream invocation does not, as it would hold up
 * the stream's next records.
 */
export const createScalerHandler = (
  deps: ScalerDependencies,
  observability: Observability,
  sleep: Sleep = realSleep,
) => {
  const { logger, metrics } = observability;
  const pass = async (progress: readonly JobProgress[], trigger: string) => {
    const { progress: observed, report } = await runScalerInvocation(deps, progress);
    const { runnersMoved, retried, waits, leads } = observed;
    const launched = report.pools.reduce((sum, pool) => sum + pool.launched, 0);
    logger.info("scaler pass", {
      trigger,
      runnersMoved,
      retriedJobs: retried,
      launched,
      ...report,
    });
    if (report.quotaExceeded)
      logger.error("EC2 quota reached: launches stopped", { code: report.quotaExceeded });
    if (report.lookaheadError)
      logger.warn("lookahead's reads failed: this pass served pending jobs only", {
        error: report.lookaheadError,
      });
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
      ...leads.map(({ pool, seconds }) => ({
        name: seconds >= 0 ? MetricName.RunnerReadyEarly : MetricName.RunnerReadyLate,
        value: Math.abs(seconds),
        dimensions: { Pool: pool },
      })),
    ]);
    return { report, launched };
  };
  return middy<ScalerEvent, { readonly launched: number }>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(publishApiThrottles(observability))
    .handler(async (event, context) => {
      if (isStreamEvent(event))
        return { launched: (await pass(progressFromRecords(event.Records), "stream")).launched };
      const startedAt = deps.clock.now();
      let { report, launched } = await pass([], "schedule");
      for (;;) {
        const next = nextRevisitSeconds(report, startedAt, deps.clock.now());
        const timeLeft = context.getRemainingTimeInMillis() / 1000;
        if (next === undefined || timeLeft < next + PASS_BUDGET_SECONDS) break;
        await sleep(next);
        const revisit = await pass([], "revisit");
        report = revisit.report;
        launched += revisit.launched;
      }
      return { launched };
    });
};
