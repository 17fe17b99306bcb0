import { METRIC_DEFINITIONS, METRICS_NAMESPACE, type MetricName, supplyOf } from "@ger/core";
import type { MetricService } from "@ger/core/types";

/** A metric as CloudWatch knows it: namespace, name and every dimension with its value. */
export interface MetricRef {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * One of our metrics, named through METRIC_DEFINITIONS: `service` is filled in when the metric
 * comes from one function only. Building every reference here keeps the dashboard and alarms on
 * the names and dimensions the code emits.
 */
export const ourMetric = (
  name: MetricName,
  dimensions: Readonly<Record<string, string>> = {},
  service?: MetricService,
): MetricRef => {
  const [only] = METRIC_DEFINITIONS[name].services;
  return {
    namespace: METRICS_NAMESPACE,
    name,
    dimensions: { service: service ?? (only as MetricService), ...dimensions },
  };
};

/** A CloudWatch SEARCH over one of our metrics, for dimensions whose values are not known ahead (error codes, reasons). */
export const ourSearch = (name: MetricName, statistic: "Sum" | "Maximum", period: number) => {
  const schema = [METRICS_NAMESPACE, "service", ...METRIC_DEFINITIONS[name].dimensions].join(",");
  return `SEARCH('{${schema}} MetricName="${name}"', '${statistic}', ${period})`;
};

export interface MonitoringInputs {
  readonly region: string;
  readonly pools: readonly string[];
  /** Lambda function names by role. */
  readonly functions: Readonly<Record<MetricService, string>>;
  readonly apiId: string;
  readonly deadLetterQueueName: string;
  /** The runner log group, when runner_logs is on. */
  readonly runnerLogGroup?: string;
}

/** The `State` values of the Runners metric: the phases supplyOf counts. */
const RUNNER_PHASES = Object.keys(supplyOf([]));

type Widget = Record<string, unknown>;

const metricWidget = (
  title: string,
  metrics: unknown[][],
  options: { region: string; stat?: string; period?: number; view?: string; stacked?: boolean },
  width = 12,
): Widget => ({
  type: "metric",
  width,
  height: 6,
  properties: {
    title,
    region: options.region,
    metrics,
    stat: options.stat ?? "Sum",
    period: options.period ?? 60,
    view: options.view ?? "timeSeries",
    stacked: options.stacked ?? false,
  },
});

const line = (metric: MetricRef, options: Record<string, unknown> = {}): unknown[] => [
  metric.namespace,
  metric.name,
  ...Object.entries(metric.dimensions).flat(),
  ...(Object.keys(options).length > 0 ? [options] : []),
];

const search = (expression: string, label: string): unknown[] => [
  { expression, label, id: label.toLowerCase().replaceAll(/[^a-z0-9]/g, "") },
];

/**
 * A pool's instance-hours per hour: its runners (every state, one instance each), as the scaler's
 * `Runners` gauge counts them each pass, averaged over the hour (the average number of its
 * instances up, what EC2 bills). An estimate: passes come once a minute and on demand.
 */
const instanceHours = (pool: string, index: number): unknown[] => [
  {
    expression: `SUM(SEARCH('{${[METRICS_NAMESPACE, "service", ...METRIC_DEFINITIONS.Runners.dimensions].join(",")}} MetricName="${"Runners" satisfies MetricName}" Pool="${pool}"', 'Average', 3600))`,
    label: pool,
    id: `hours${index}`,
  },
];

/** What the runner's script writes when a boot or its job fails (packages/core/src/user-data). */
export const RUNNER_FAILURE_MESSAGES = [
  "ephemeral-runner failed",
  "no token granted",
  "gitlab-runner exited with",
] as const;

/** The runner log group's failure lines, newest first; a stream is named by its instance's id. */
export const runnerFailuresQuery = (logGroup: string) =>
  [
    `SOURCE '${logGroup}'`,
    "fields @timestamp, @logStream, @message",
    `filter @message like /${RUNNER_FAILURE_MESSAGES.join("|")}/`,
    "sort @timestamp desc",
    "limit 100",
  ].join(" | ");

/** The dashboard: demand and supply per pool, launches, retirements, webhook health, Lambda health. */
export const dashboardBody = (inputs: MonitoringInputs) => {
  const { region } = inputs;
  const perPool = inputs.pools.flatMap((pool) => [
    metricWidget(
      `${pool}: pending jobs and runners by state`,
      [
        line(ourMetric("PendingJobs", { Pool: pool }), { stat: "Maximum", label: "pending jobs" }),
        ...RUNNER_PHASES.map((state) =>
          line(ourMetric("Runners", { Pool: pool, State: state }), {
            stat: "Maximum",
            label: state,
          }),
        ),
      ],
      { region },
    ),
    metricWidget(
      `${pool}: oldest pending job and job wait (s)`,
      [
        line(ourMetric("OldestPendingJobAge", { Pool: pool }), {
          stat: "Maximum",
          label: "oldest pending",
        }),
        line(ourMetric("JobWaitTime", { Pool: pool }), { stat: "p50", label: "wait p50" }),
        line(ourMetric("JobWaitTime", { Pool: pool }), { stat: "p95", label: "wait p95" }),
      ],
      { region },
    ),
    metricWidget(
      `${pool}: runners started, and ahead of demand for later stages`,
      [
        line(ourMetric("RunnersStarted", { Pool: pool }), { label: "started" }),
        line(ourMetric("RunnersStartedAhead", { Pool: pool }), { label: "started ahead" }),
        line(ourMetric("FutureJobs", { Pool: pool }), {
          stat: "Maximum",
          label: "later-stage jobs due",
        }),
      ],
      { region },
    ),
    metricWidget(
      `${pool}: runners started ahead, seconds up before their job was pending, or late`,
      [
        line(ourMetric("RunnerReadyEarly", { Pool: pool }), { stat: "p50", label: "early p50" }),
        line(ourMetric("RunnerReadyEarly", { Pool: pool }), { stat: "p90", label: "early p90" }),
        line(ourMetric("RunnerReadyLate", { Pool: pool }), { stat: "p50", label: "late p50" }),
        line(ourMetric("RunnerReadyLate", { Pool: pool }), { stat: "p90", label: "late p90" }),
        line(ourMetric("RunnerReadyLate", { Pool: pool }), {
          stat: "SampleCount",
          label: "late (count)",
        }),
      ],
      { region },
    ),
  ]);
  const fleet = [
    metricWidget(
      "Launch failures by pool and code",
      [search(ourSearch("LaunchFailures", "Sum", 60), "LaunchFailures")],
      { region },
    ),
    metricWidget(
      "Runners retired by reason",
      [search(ourSearch("RunnersRetired", "Sum", 60), "RunnersRetired")],
      { region },
    ),
    metricWidget(
      "Orphans cleaned, registrations expired, busy runners spared, quota errors",
      [
        line(ourMetric("OrphansCleaned", { Kind: "instance" }), { label: "orphan instances" }),
        line(ourMetric("OrphansCleaned", { Kind: "gitlab_runner" }), {
          label: "orphan GitLab runners",
        }),
        line(ourMetric("RegistrationsExpired"), { label: "kept registrations expired" }),
        line(ourMetric("BusyRunnersSpared"), { label: "busy spared" }),
        line(ourMetric("QuotaExceeded"), { label: "quota exceeded" }),
      ],
      { region },
    ),
    metricWidget(
      "Pools at their GitLab scope's registered-runner cap",
      [search(ourSearch("RegistrationLimited", "Sum", 60), "RegistrationLimited")],
      { region },
    ),
    metricWidget(
      "Webhook: job events by status, unchanged, auth failures, rejected",
      [
        search(ourSearch("JobEventsReceived", "Sum", 60), "JobEventsReceived"),
        line(ourMetric("JobEventsUnchanged"), { label: "unchanged (duplicates, late)" }),
        search(ourSearch("WebhookAuthFailures", "Sum", 60), "WebhookAuthFailures"),
        search(ourSearch("WebhookRejected", "Sum", 60), "WebhookRejected"),
      ],
      { region },
    ),
    metricWidget(
      "Reconciliation and watchdog",
      [
        line(ourMetric("LostWebhooksRecovered"), { label: "lost hooks recovered" }),
        line(ourMetric("StaleJobsClosed"), { label: "stale jobs closed" }),
        line(ourMetric("LostJobsClosed"), { label: "closed by scaler" }),
        line(ourMetric("WebhookSuspect"), { stat: "Maximum", label: "webhook suspect" }),
        line(ourMetric("DisabledWebhooks"), { stat: "Maximum", label: "hooks GitLab disabled" }),
        line(ourMetric("UnroutableJobs"), { stat: "Maximum", label: "unroutable" }),
        line(ourMetric("JobsRetried", {}, "scaler"), { label: "retried after interruption" }),
        line(ourMetric("JobsRetried", {}, "reaper"), { label: "retries resumed by reaper" }),
      ],
      { region },
    ),
    metricWidget(
      "API throttles (GitLab 429, EC2 RequestLimitExceeded)",
      [search(ourSearch("ApiThrottles", "Sum", 60), "ApiThrottles")],
      { region },
    ),
    metricWidget("Instance hours by pool", inputs.pools.map(instanceHours), {
      region,
      period: 3600,
    }),
  ];
  const runnerLogs = inputs.runnerLogGroup
    ? [
        {
          type: "log",
          width: 24,
          height: 6,
          properties: {
            title: "Runner boot failures",
            region,
            query: runnerFailuresQuery(inputs.runnerLogGroup),
            view: "table",
          },
        },
      ]
    : [];
  const lambda = Object.entries(inputs.functions).map(([role, functionName]) =>
    metricWidget(
      `Lambda ${role}: errors, throttles, duration p99 (ms)`,
      [
        ["AWS/Lambda", "Errors", "FunctionName", functionName, { stat: "Sum" }],
        ["AWS/Lambda", "Throttles", "FunctionName", functionName, { stat: "Sum" }],
        ["AWS/Lambda", "Duration", "FunctionName", functionName, { stat: "p99", yAxis: "right" }],
      ],
      { region },
      6,
    ),
  );
  const api = metricWidget(
    "Webhook API: requests, 4xx, 5xx, latency p99",
    [
      ["AWS/ApiGateway", "Count", "ApiId", inputs.apiId, { stat: "Sum" }],
      ["AWS/ApiGateway", "4xx", "ApiId", inputs.apiId, { stat: "Sum" }],
      ["AWS/ApiGateway", "5xx", "ApiId", inputs.apiId, { stat: "Sum" }],
      ["AWS/ApiGateway", "Latency", "ApiId", inputs.apiId, { stat: "p99", yAxis: "right" }],
    ],
    { region },
  );
  return { widgets: [...perPool, ...fleet, ...runnerLogs, api, ...lambda] };
};

export interface AlarmThresholds {
  /** A pending job older than this (seconds) means runners are not coming. */
  readonly oldestPendingSeconds: number;
  /** Auth failures per 5 minutes: a wrong secret, or someone probing the URL. */
  readonly authFailuresPer5Minutes: number;
}

export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = {
  oldestPendingSeconds: 600,
  authFailuresPer5Minutes: 10,
};

/** An alarm on one metric, or on a Metrics Insights query when dimension values are not known ahead. */
export interface AlarmDefinition {
  readonly name: string;
  readonly description: string;
  readonly metric?: MetricRef;
  readonly query?: string;
  readonly statistic: "Sum" | "Maximum";
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly threshold: number;
  readonly comparison: "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold";
}

/** Metrics Insights over one of our metrics, summed across the dimensions not pinned. */
export const ourInsightsQuery = (
  name: MetricName,
  where: Readonly<Record<string, string>> = {},
) => {
  const schema = [`"${METRICS_NAMESPACE}"`, "service", ...METRIC_DEFINITIONS[name].dimensions].join(
    ", ",
  );
  const filters = Object.entries(where).map(([key, value]) => `${key} = '${value}'`);
  return `SELECT SUM(${name}) FROM SCHEMA(${schema})${filters.length > 0 ? ` WHERE ${filters.join(" AND ")}` : ""}`;
};

/** EC2's error code for an IAM denial, which LaunchFailures carries as its Code. */
export const LAUNCH_DENIED_CODE = "UnauthorizedOperation";

const awsMetric = (
  namespace: string,
  name: string,
  dimensions: Record<string, string>,
): MetricRef => ({
  namespace,
  name,
  dimensions,
});

export const alarmDefinitions = (
  inputs: MonitoringInputs,
  thresholds: AlarmThresholds = DEFAULT_ALARM_THRESHOLDS,
): AlarmDefinition[] => [
  ...inputs.pools.map(
    (pool): AlarmDefinition => ({
      name: `oldest-pending-${pool}`,
      description: `A job in pool ${pool} has waited over ${thresholds.oldestPendingSeconds} s for a runner.`,
      metric: ourMetric("OldestPendingJobAge", { Pool: pool }),
      statistic: "Maximum",
      periodSeconds: 60,
      evaluationPeriods: 3,
      threshold: thresholds.oldestPendingSeconds,
      comparison: "GreaterThanThreshold",
    }),
  ),
  {
    name: "launch-failures",
    description: "EC2 launches failed (every type, subnet and market tried, or another error).",
    query: ourInsightsQuery("LaunchFailures"),
    statistic: "Sum",
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 3,
    comparison: "GreaterThanOrEqualToThreshold",
  },
  {
    name: "launch-unauthorized",
    description:
      "EC2 refused a launch with UnauthorizedOperation: the scaler role's policy does not allow " +
      "CreateFleet or RunInstances on something the launch names. Take the encoded message (CloudTrail's " +
      "CreateFleet event, or `aws ec2 create-fleet --dry-run` as the scaler role), decode it with " +
      "`aws sts decode-authorization-message --encoded-message <message>` and compare it with the " +
      "scaler role's policy.",
    query: ourInsightsQuery("LaunchFailures", { Code: LAUNCH_DENIED_CODE }),
    statistic: "Sum",
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparison: "GreaterThanOrEqualToThreshold",
  },
  {
    name: "jobs-unserved",
    description:
      "Pending jobs for which runners were started 3 times and none took them: no more runners start " +
      "for them. GitLab does not give them to the pool's runners (a project or group scope, protected " +
      "refs, a runner setting): see the scaler's log ('unserved') and `npm run cli -- status`.",
    metric: ourMetric("JobsUnserved"),
    statistic: "Maximum",
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparison: "GreaterThanOrEqualToThreshold",
  },
  {
    name: "jobs-not-visible",
    description:
      "GitLab answered 404 for jobs a hook told us about: the GitLab token cannot see their project " +
      "(give it access, or hook only projects the pools serve) or the jobs were erased. They get no " +
      "runner. `npm run cli -- status` lists them as not_visible.",
    query: ourInsightsQuery("JobsNotVisible"),
    statistic: "Sum",
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparison: "GreaterThanOrEqualToThreshold",
  },
  {
    name: "quota-exceeded",
    description: "An EC2 quota stopped launches: raise it (Service Quotas) or lower max_instances.",
    metric: ourMetric("QuotaExceeded"),
    statistic: "Maximum",
    periodSeconds: 60,
    evaluationPeriods: 1,
    threshold: 1,
    comparison: "GreaterThanOrEqualToThreshold",
  },
  {
    name: "registration-limited",
    description:
      "A pool's GitLab group or project was at its registered-runner cap (runner.registered_runner_limit, " +
      "or GitLab's ci_registered_*_runners: 50 on gitlab.com Free) on 3 passes in 15 minutes: its jobs " +
      "wait for runners to finish. Raise the limit in GitLab (plan, or admin setting) and in the config, " +
      "or delete stale runners of the scope.",
    query: ourInsightsQuery("RegistrationLimited"),
    statistic: "Sum",
    periodSeconds: 900,
    evaluationPeriods: 1,
    threshold: 3,
    comparison: "GreaterThanOrEqualToThreshold",
  },
  {
    name: "orphans-found",
    description:
      "The reaper cleaned instances or GitLab runners with no record: something crashed mid-way.",
    query: ourInsightsQuery("OrphansCleaned"),
    statistic: "Sum",
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparison: "GreaterThanOrEqualToThreshold",
  },
  {
    name: "webhook-auth-failures",
    description:
      "Many webhook calls had a wrong or missing token: a rotated secret not set in GitLab, or probing.",
    query: ourInsightsQuery("WebhookAuthFailures"),
    statistic: "Sum",
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: thresholds.authFailuresPer5Minutes,
    comparison: "GreaterThanOrEqualToThreshold",
  },
  {
    name: "webhook-suspect",
    description:
      "GitLab has pending jobs no hook told us about, or no hook came for long: check the GitLab webhook.",
    metric: ourMetric("WebhookSuspect"),
    statistic: "Maximum",
    periodSeconds: 60,
    evaluationPeriods: 3,
    threshold: 1,
    comparison: "GreaterThanOrEqualToThreshold",
  },
  {
    name: "webhook-5xx",
    description: "The webhook answered 5xx: GitLab disables hooks that keep failing.",
    metric: awsMetric("AWS/ApiGateway", "5xx", { ApiId: inputs.apiId }),
    statistic: "Sum",
    periodSeconds: 60,
    evaluationPeriods: 1,
    threshold: 1,
    comparison: "GreaterThanOrEqualToThreshold",
  },
  ...Object.entries(inputs.functions).map(
    ([role, functionName]): AlarmDefinition => ({
      name: `${role}-errors`,
      description: `The ${role} function failed.`,
      metric: awsMetric("AWS/Lambda", "Errors", { FunctionName: functionName }),
      statistic: "Sum",
      periodSeconds: 300,
      evaluationPeriods: 1,
      threshold: 3,
      comparison: "GreaterThanOrEqualToThreshold",
    }),
  ),
  {
    name: "dead-letters",
    description: "Events or stream batches failed every retry and wait in the dead-letter queue.",
    metric: awsMetric("AWS/SQS", "ApproximateNumberOfMessagesVisible", {
      QueueName: inputs.deadLetterQueueName,
    }),
    statistic: "Maximum",
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparison: "GreaterThanOrEqualToThreshold",
  },
];

/**
 * One alarm as aws.cloudwatch.MetricAlarm takes it: named for the deployment and stage, no data
 * is no alarm, the topic's ARN (if any) notified of alarm and recovery.
 */
export const metricAlarmArgs = <Arn>(
  alarm: AlarmDefinition,
  options: { readonly namePrefix: string; readonly topicArn?: Arn },
) => ({
  name: `${options.namePrefix}-${alarm.name}`,
  alarmDescription: alarm.description,
  comparisonOperator: alarm.comparison,
  evaluationPeriods: alarm.evaluationPeriods,
  threshold: alarm.threshold,
  treatMissingData: "notBreaching",
  ...(options.topicArn !== undefined && {
    alarmActions: [options.topicArn],
    okActions: [options.topicArn],
  }),
  ...(alarm.metric
    ? {
        namespace: alarm.metric.namespace,
        metricName: alarm.metric.name,
        dimensions: { ...alarm.metric.dimensions },
        statistic: alarm.statistic,
        period: alarm.periodSeconds,
      }
    : {
        metricQueries: [
          { id: "q", expression: alarm.query ?? "", period: alarm.periodSeconds, returnData: true },
        ],
      }),
});

/** The dashboard in the console; without `region=` the console looks in the last region used. */
export const dashboardUrl = (region: string, dashboardName: string) =>
  `https://console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${dashboardName}`;
