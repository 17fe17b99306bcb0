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
  JobsUnserved: "JobsUnserved",
  LostJobsClosed: "LostJobsClosed",
  JobsNotVisible: "JobsNotVisible",
  QuotaExceeded: "QuotaExceeded",
  RegistrationLimited: "RegistrationLimited",
  RunnersRetired: "RunnersRetired",
  OrphansCleaned: "OrphansCleaned",
  RegistrationsExpired: "RegistrationsExpired",
  BusyRunnersSpared: "BusyRunnersSpared",
  ReaperActionsFailed: "ReaperActionsFailed",
  IdleRunnersFoundBusy: "IdleRunnersFoundBusy",
  InstanceEvents: "InstanceEvents",
  InstanceEventsReceived: "InstanceEventsReceived",
  ReaperPasses: "ReaperPasses",
  JobsRetried: "JobsRetried",
  LostWebhooksRecovered: "LostWebhooksRecovered",
  StaleJobsClosed: "StaleJobsClosed",
  WebhookSuspect: "WebhookSuspect",
  DisabledWebhooks: "DisabledWebhooks",
  JobWaitTime: "JobWaitTime",
  FutureJobs: "FutureJobs",
  RunnersStartedAhead: "RunnersStartedAhead",
  RunnerReadyEarly: "RunnerReadyEarly",
  RunnerReadyLate: "RunnerReadyLate",
  ApiThrottles: "ApiThrottles",
} as const;

export type MetricName = (typeof MetricName)[keyof typeof MetricName];

export interface MetricPoint {
  readonly name: MetricName;
  readonly value: number;
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** The functions that emit metrics; Powertools adds the name as the `service` dimension. */
export type MetricService = "webhook" | "scaler" | "reaper" | "instance-events";

export interface MetricDefinition {
  readonly unit: "Count" | "Seconds";
  /** Dimensions besides `service`, exactly as emitted. */
  readonly dimensions: readonly string[];
  readonly services: readonly MetricService[];
}

const count = (
  services: readonly MetricService[],
  dimensions: readonly string[] = [],
): MetricDefinition => ({ unit: "Count", dimensions, services });

/**
 * Every metric the code emits, with its exact dimensions: the dashboard and the alarms are built
 * from this, and tests hold both the emitting code and them to it, so they cannot drift apart.
 */
export const METRIC_DEFINITIONS: Readonly<Record<MetricName, MetricDefinition>> = {
  WebhookRequests: count(["webhook"]),
  JobEventsReceived: count(["webhook"], ["Status"]),
  JobEventsUnchanged: count(["webhook"]),
  WebhookIgnored: count(["webhook"], ["Reason"]),
  WebhookAuthFailures: count(["webhook"], ["Reason"]),
  WebhookRejected: count(["webhook"], ["Reason"]),
  PendingJobs: count(["scaler"], ["Pool"]),
  OldestPendingJobAge: { unit: "Seconds", dimensions: ["Pool"], services: ["scaler"] },
  Runners: count(["scaler"], ["Pool", "State"]),
  RunnersStarted: count(["scaler"], ["Pool"]),
  LaunchFailures: count(["scaler"], ["Pool", "Code"]),
  UnroutableJobs: count(["scaler"]),
  JobsUnserved: count(["scaler"]),
  LostJobsClosed: count(["scaler"]),
  // GitLab answered 404 for a job: the token cannot see its project, or the job was erased.
  JobsNotVisible: count(["scaler", "reaper"]),
  QuotaExceeded: count(["scaler"]),
  // The pool's GitLab scope was at its registered-runner cap: jobs wait for runners to go.
  RegistrationLimited: count(["scaler"], ["Pool"]),
  JobsRetried: count(["scaler", "reaper"]),
  JobWaitTime: { unit: "Seconds", dimensions: ["Pool"], services: ["scaler"] },
  // Later-stage jobs whose runners lookahead launches by now, and the runners it started for them.
  FutureJobs: count(["scaler"], ["Pool"]),
  RunnersStartedAhead: count(["scaler"], ["Pool"]),
  // A runner lookahead started, when it took its job: seconds it was up before the job became
  // pending, or after it (two metrics, as CloudWatch has no percentiles of negative values).
  RunnerReadyEarly: { unit: "Seconds", dimensions: ["Pool"], services: ["scaler"] },
  RunnerReadyLate: { unit: "Seconds", dimensions: ["Pool"], services: ["scaler"] },
  RunnersRetired: count(["reaper"], ["Reason"]),
  OrphansCleaned: count(["reaper"], ["Kind"]),
  // Kept registrations deleted: idle past registration_idle_time, or their pool changed.
  RegistrationsExpired: count(["reaper"]),
  BusyRunnersSpared: count(["reaper"]),
  // An action GitLab or AWS refused (429, 5xx): the next pass retries it.
  ReaperActionsFailed: count(["reaper"], ["Kind"]),
  // Idle in our records, busy in GitLab's: the job's running hook was lost.
  IdleRunnersFoundBusy: count(["reaper"]),
  ReaperPasses: count(["reaper"]),
  LostWebhooksRecovered: count(["reaper", "scaler"]),
  StaleJobsClosed: count(["reaper"]),
  WebhookSuspect: count(["reaper"]),
  DisabledWebhooks: count(["reaper"]),
  InstanceEventsReceived: count(["instance-events"]),
  InstanceEvents: count(["instance-events"], ["Kind", "Outcome"]),
  ApiThrottles: count(["scaler", "reaper", "instance-events"], ["Api"]),
};
