/** The one CloudWatch namespace every function emits into. */
export const METRICS_NAMESPACE = "GitLabRunnerAutoscaler";

/** Metric names, shared by the code that emits them and the dashboard and alarms that read them. */
export const MetricName = {
  WebhookRequests: "WebhookRequests",
  JobEventsReceived: "JobEventsReceived",
  JobEventsUnchanged: "JobEventsUnchanged",
  WebhookIgnored: "WebhookIgnored",
  WebhookAuthFailures: "WebhookAuthFailures",
  WebhookRejected: "WebhookRejected",
  PendingJobs: "PendingJobs",
  OldestPendingJobAge: "OldestPendingJobAge",
  Runners: "Runners",
  RunnersStarted: "RunnersStarted",
  LaunchFailures: "LaunchFailures",
  UnroutableJobs: "UnroutableJobs",
  LostJobsClosed: "LostJobsClosed",
  QuotaExceeded: "QuotaExceeded",
  RunnersRetired: "RunnersRetired",
  OrphansCleaned: "OrphansCleaned",
  BusyRunnersSpared: "BusyRunnersSpared",
  InstanceEvents: "InstanceEvents",
  InstanceEventsReceived: "InstanceEventsReceived",
  ReaperPasses: "ReaperPasses",
  JobsRetried: "JobsRetried",
  LostWebhooksRecovered: "LostWebhooksRecovered",
  StaleJobsClosed: "StaleJobsClosed",
  WebhookSuspect: "WebhookSuspect",
} as const;

export type MetricName = (typeof MetricName)[keyof typeof MetricName];

export interface MetricPoint {
  readonly name: MetricName;
  readonly value: number;
  readonly dimensions?: Readonly<Record<string, string>>;
}
