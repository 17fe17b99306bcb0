import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRICS_NAMESPACE } from "@ger/core";
import type { MetricPoint } from "@ger/core/types";

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** One logger and one metrics buffer per function, created at cold start. */
export const createObservability = (serviceName: string): Observability => ({
  logger: new Logger({ serviceName }),
  metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
});

/** Points without dimensions join the invocation's EMF blob; dimensioned ones get a blob of their own. */
export const publishMetrics = (metrics: Metrics, points: readonly MetricPoint[]): void => {
  for (const point of points) {
    if (!point.dimensions) {
      metrics.addMetric(point.name, MetricUnit.Count, point.value);
      continue;
    }
    const single = metrics.singleMetric();
    single.addDimensions({ ...point.dimensions });
    single.addMetric(point.name, MetricUnit.Count, point.value);
  }
};
