import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC_DEFINITIONS, METRICS_NAMESPACE, ThrottleCounter } from "@ger/core";
import type { MetricPoint, MetricService } from "@ger/core/types";
import type middy from "@middy/core";

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Fed by the API clients; published after every invocation. */
  readonly apiThrottles: ThrottleCounter;
}

/** One logger and one metrics buffer per function, created at cold start. */
export const createObservability = (serviceName: MetricService): Observability => ({
  logger: new Logger({ serviceName }),
  metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
  apiThrottles: new ThrottleCounter(),
});

/** Publishes the API throttles counted during the invocation, failed or not (before logMetrics flushes). */
export const publishApiThrottles = ({
  metrics,
  apiThrottles,
}: Observability): middy.MiddlewareObj => {
  const publish = async () => publishMetrics(metrics, apiThrottles.take());
  return { after: publish, onError: publish };
};

/** Points without dimensions join the invocation's EMF blob; dimensioned ones get a blob of their own. */
export const publishMetrics = (metrics: Metrics, points: readonly MetricPoint[]): void => {
  for (const point of points) {
    const unit = MetricUnit[METRIC_DEFINITIONS[point.name].unit];
    if (!point.dimensions) {
      metrics.addMetric(point.name, unit, point.value);
      continue;
    }
    const single = metrics.singleMetric();
    single.addDimensions({ ...point.dimensions });
    single.addMetric(point.name, unit, point.value);
  }
};
