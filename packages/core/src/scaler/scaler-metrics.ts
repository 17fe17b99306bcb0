import { MetricName, type MetricPoint } from "../metrics";
import type { ScalerReport } from "./scale-up";

/** What one scaler pass reports to CloudWatch, per pool where it is per pool. */
export const scalerMetrics = (report: ScalerReport): MetricPoint[] => [
  ...report.pools.flatMap((pool): MetricPoint[] => [
    { name: MetricName.PendingJobs, value: pool.pending, dimensions: { Pool: pool.pool } },
    {
      name: MetricName.OldestPendingJobAge,
      value: pool.oldestPendingSeconds,
      dimensions: { Pool: pool.pool },
    },
    { name: MetricName.RunnersStarted, value: pool.launched, dimensions: { Pool: pool.pool } },
    { name: MetricName.FutureJobs, value: pool.future, dimensions: { Pool: pool.pool } },
    {
      name: MetricName.RunnersStartedAhead,
      value: pool.startedAhead,
      dimensions: { Pool: pool.pool },
    },
    ...Object.entries(pool.supply).map(([state, count]) => ({
      name: MetricName.Runners,
      value: count,
      dimensions: { Pool: pool.pool, State: state },
    })),
    ...(pool.registrationLimited
      ? [{ name: MetricName.RegistrationLimited, value: 1, dimensions: { Pool: pool.pool } }]
      : []),
    ...pool.failures.map((code) => ({
      name: MetricName.LaunchFailures,
      value: 1,
      dimensions: { Pool: pool.pool, Code: code },
    })),
  ]),
  { name: MetricName.UnroutableJobs, value: report.unroutable.length },
  { name: MetricName.JobsUnserved, value: report.unserved.length },
  { name: MetricName.LostJobsClosed, value: report.closed.length },
  { name: MetricName.LostWebhooksRecovered, value: report.discovered.length },
  { name: MetricName.JobsNotVisible, value: report.notVisible.length },
  { name: MetricName.QuotaExceeded, value: report.quotaExceeded ? 1 : 0 },
];
