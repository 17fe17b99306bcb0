import { MetricName, type MetricPoint } from "../metrics";
import type { ReaperReport } from "./reap";

/** What one reaper pass reports to CloudWatch. */
export const reaperMetrics = (report: ReaperReport): MetricPoint[] =>
  report.skipped
    ? []
    : [
        ...Object.entries(report.retired).map(([reason, count]) => ({
          name: MetricName.RunnersRetired,
          value: count ?? 0,
          dimensions: { Reason: reason },
        })),
        {
          name: MetricName.OrphansCleaned,
          value: report.orphanInstances,
          dimensions: { Kind: "instance" },
        },
        {
          name: MetricName.OrphansCleaned,
          value: report.orphanGitlabRunners,
          dimensions: { Kind: "gitlab_runner" },
        },
        { name: MetricName.RegistrationsExpired, value: report.registrationsExpired },
        { name: MetricName.BusyRunnersSpared, value: report.sparedBusy },
        { name: MetricName.IdleRunnersFoundBusy, value: report.foundBusy },
        ...failuresByKind(report).map(([kind, count]) => ({
          name: MetricName.ReaperActionsFailed,
          value: count,
          dimensions: { Kind: kind },
        })),
      ];

const failuresByKind = (report: ReaperReport): [string, number][] => {
  const counts = new Map<string, number>();
  for (const { kind } of report.failedActions) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts];
};
