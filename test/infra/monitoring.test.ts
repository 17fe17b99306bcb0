import { CreateFleetCommand, EC2Client, EC2ServiceException } from "@aws-sdk/client-ec2";
import {
  Ec2FleetCompute,
  METRIC_DEFINITIONS,
  METRICS_NAMESPACE,
  parseAutoscalerConfig,
  renderUserData,
  runnerLogGroupName,
  runnerScriptSettings,
} from "@ger/core";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import {
  alarmDefinitions,
  dashboardBody,
  LAUNCH_DENIED_CODE,
  type MetricRef,
  type MonitoringInputs,
  metricAlarmArgs,
  RUNNER_FAILURE_MESSAGES,
} from "../../infra/lib/monitoring";
import { configInput } from "../support/config";

const inputs: MonitoringInputs = {
  region: "eu-central-1",
  pools: ["linux-arm", "gpu"],
  functions: {
    webhook: "app-webhook",
    scaler: "app-scaler",
    reaper: "app-reaper",
    "instance-events": "app-events",
  },
  apiId: "abc123",
  deadLetterQueueName: "app-dead-letters",
  runnerLogGroup: runnerLogGroupName("ci-autoscaler"),
};

type Defined = keyof typeof METRIC_DEFINITIONS;

const definitionOf = (name: string) => METRIC_DEFINITIONS[name as Defined];

/** Our metric as CloudWatch will know it: exactly the dimensions the code emits, a service that emits it. */
const expectEmitted = (metric: MetricRef) => {
  const definition = definitionOf(metric.name);
  expect(definition, `${metric.name} is not a metric the code emits`).toBeDefined();
  expect(Object.keys(metric.dimensions).sort(), metric.name).toEqual(
    ["service", ...(definition?.dimensions ?? [])].sort(),
  );
  expect(definition?.services).toContain(metric.dimensions.service);
};

/** A SEARCH or Metrics Insights schema over our namespace must name a metric's exact dimensions. */
const expectEmittedSchema = (name: string, schema: string[]) => {
  const definition = definitionOf(name);
  expect(definition, `${name} is not a metric the code emits`).toBeDefined();
  expect(schema.sort()).toEqual(["service", ...(definition?.dimensions ?? [])].sort());
};

const dashboardMetrics = () => {
  const refs: MetricRef[] = [];
  const searches: { name: string; schema: string[] }[] = [];
  for (const widget of dashboardBody(inputs).widgets) {
    if (widget.type !== "metric") continue;
    const { metrics } = (widget as { properties: { metrics: unknown[][] } }).properties;
    for (const entry of metrics) {
      const [first] = entry;
      if (typeof first === "object" && first !== null && "expression" in first) {
        const expression = (first as { expression: string }).expression;
        const match = /^(?:SUM\()?SEARCH\('\{([^}]*)\} MetricName="(\w+)"/.exec(expression);
        expect(match, expression).not.toBeNull();
        const [namespace, ...schema] = (match?.[1] ?? "").split(",");
        expect(namespace).toBe(METRICS_NAMESPACE);
        searches.push({ name: match?.[2] ?? "", schema });
        continue;
      }
      const [namespace, name, ...rest] = entry as string[];
      const pairs = rest.filter((item) => typeof item === "string");
      const dimensions = Object.fromEntries(
        Array.from({ length: pairs.length / 2 }, (_, i) => [pairs[2 * i], pairs[2 * i + 1]]),
      );
      refs.push({ namespace: namespace ?? "", name: name ?? "", dimensions });
    }
  }
  return { refs, searches };
};

describe("dashboard and alarms read only metrics the code emits", () => {
  it("every dashboard metric in our namespace has the emitted name and dimensions", () => {
    const { refs, searches } = dashboardMetrics();
    const ours = refs.filter((ref) => ref.namespace === METRICS_NAMESPACE);

    expect(ours.length).toBeGreaterThan(10);
    for (const ref of ours) expectEmitted(ref);
    for (const search of searches) expectEmittedSchema(search.name, search.schema);
  });

  it("shows what the issue asks for: per pool demand, supply, wait; launches, failures, retirements, orphans, throttles", () => {
    const { refs, searches } = dashboardMetrics();
    const names = new Set([
      ...refs.map((ref) => ref.name),
      ...searches.map((search) => search.name),
    ]);

    for (const name of [
      "JobEventsReceived",
      "WebhookAuthFailures",
      "PendingJobs",
      "OldestPendingJobAge",
      "Runners",
      "RunnersStarted",
      "LaunchFailures",
      "RunnersRetired",
      "OrphansCleaned",
      "LostWebhooksRecovered",
      "JobWaitTime",
      "ApiThrottles",
      "Errors",
      "Throttles",
      "Duration",
    ])
      expect(names).toContain(name);
    for (const pool of inputs.pools) {
      expect(refs).toContainEqual(
        expect.objectContaining({
          name: "PendingJobs",
          dimensions: { service: "scaler", Pool: pool },
        }),
      );
    }
  });

  it("every alarm on our namespace names an emitted metric or queries its exact schema", () => {
    const alarms = alarmDefinitions(inputs);

    for (const alarm of alarms) {
      if (alarm.metric?.namespace === METRICS_NAMESPACE) expectEmitted(alarm.metric);
      if (alarm.query) {
        const match = /^SELECT SUM\((\w+)\) FROM SCHEMA\("([^"]+)", ([^)]*)\)/.exec(alarm.query);
        expect(match, alarm.query).not.toBeNull();
        expect(match?.[2]).toBe(METRICS_NAMESPACE);
        const schema = (match?.[3] ?? "").split(", ");
        expectEmittedSchema(match?.[1] ?? "", [...schema]);
        const filtered = [...alarm.query.matchAll(/(\w+) = '/g)].map(([, dimension]) => dimension);
        for (const dimension of filtered) expect(schema, alarm.name).toContain(dimension);
      }
      expect(alarm.metric === undefined).toBe(alarm.query !== undefined);
    }
  });

  it("alarms on what the issue lists, per pool where it is per pool", () => {
    const names = alarmDefinitions(inputs).map((alarm) => alarm.name);

    expect(names).toEqual(
      expect.arrayContaining([
        "oldest-pending-linux-arm",
        "oldest-pending-gpu",
        "launch-failures",
        "launch-unauthorized",
        "jobs-unserved",
        "jobs-not-visible",
        "quota-exceeded",
        "orphans-found",
        "webhook-auth-failures",
        "webhook-5xx",
        "webhook-errors",
        "scaler-errors",
        "reaper-errors",
        "instance-events-errors",
        "dead-letters",
      ]),
    );
  });

  it("alarms at the first launch IAM refuses, by the code the EC2 adapter reports, and says how to decode it", async () => {
    const ec2 = mockClient(EC2Client);
    ec2.on(CreateFleetCommand).rejects(
      new EC2ServiceException({
        name: "UnauthorizedOperation",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
        message:
          "You are not authorized to perform this operation. Encoded authorization failure message: abc",
      }),
    );
    const [pool] = parseAutoscalerConfig(configInput()).pools;
    const result = await new Ec2FleetCompute(new EC2Client({ region: inputs.region }), {
      deployment: "ci-autoscaler",
      launchTemplates: { [pool!.name]: { launchTemplateId: "lt-0a1b2c3d4e5f60718", version: "1" } },
    }).launch({ launchId: `${pool!.name}-a1b2c3`, count: 1, pool: pool!, waitTimeoutSeconds: 300 });
    ec2.restore();
    const alarm = alarmDefinitions(inputs).find(({ name }) => name === "launch-unauthorized");

    expect(result).toMatchObject({ kind: "failed", code: LAUNCH_DENIED_CODE });
    expect(alarm).toMatchObject({
      query: expect.stringMatching(
        new RegExp(`^SELECT SUM\\(LaunchFailures\\) .* WHERE Code = '${LAUNCH_DENIED_CODE}'$`),
      ),
      statistic: "Sum",
      periodSeconds: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparison: "GreaterThanOrEqualToThreshold",
    });
    expect(alarm?.description).toContain("aws sts decode-authorization-message");
  });
});

const widgetTitled = (body: ReturnType<typeof dashboardBody>, title: string) =>
  body.widgets.find(
    (widget) => (widget as { properties: { title?: string } }).properties.title === title,
  ) as { type: string; width: number; properties: Record<string, unknown> } | undefined;

describe("the dashboard's runner logs and costs", () => {
  it("Instance hours by pool: each pool's runners, every state summed, averaged over the hour", () => {
    const widget = widgetTitled(dashboardBody(inputs), "Instance hours by pool");

    expect(widget?.properties).toMatchObject({ period: 3600, stat: "Sum" });
    expect(widget?.properties.metrics).toEqual(
      inputs.pools.map((pool, index) => [
        {
          expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service,Pool,State} MetricName="Runners" Pool="${pool}"', 'Average', 3600))`,
          label: pool,
          id: `hours${index}`,
        },
      ]),
    );
  });

  it("Runner boot failures: a Logs Insights table over the runner log group, newest first, with each line's instance", () => {
    const widget = widgetTitled(dashboardBody(inputs), "Runner boot failures");

    expect(widget).toMatchObject({ type: "log", width: 24 });
    expect(widget?.properties).toMatchObject({ region: inputs.region, view: "table" });
    const query = String(widget?.properties.query);
    expect(query.split(" | ")).toEqual([
      `SOURCE '${inputs.runnerLogGroup}'`,
      "fields @timestamp, @logStream, @message",
      "filter @message like /ephemeral-runner failed|no token granted|gitlab-runner exited with/",
      "sort @timestamp desc",
      "limit 100",
    ]);
  });

  it("looks for what the runner's script writes when it fails", () => {
    const config = parseAutoscalerConfig(configInput());
    const userData = config.pools
      .map((pool) => renderUserData(pool, runnerScriptSettings(config)))
      .join("\n");

    for (const message of RUNNER_FAILURE_MESSAGES) expect(userData).toContain(message);
  });

  it("has no log widget when runner_logs is off", () => {
    const { runnerLogGroup: _, ...withoutLogs } = inputs;

    expect(widgetTitled(dashboardBody(withoutLogs), "Runner boot failures")).toBeUndefined();
    expect(dashboardBody(withoutLogs).widgets).toHaveLength(
      dashboardBody(inputs).widgets.length - 1,
    );
  });
});

describe("alarm arguments", () => {
  const [metricAlarm] = alarmDefinitions(inputs).filter((alarm) => alarm.metric);
  const queryAlarm = alarmDefinitions(inputs).find((alarm) => alarm.query);

  it("notify the topic of alarm and recovery when there is one, and nobody otherwise", () => {
    const topicArn = "arn:aws:sns:eu-central-1:123456789012:alarms";

    expect(
      metricAlarmArgs(metricAlarm!, { namePrefix: "ci-autoscaler-prod", topicArn }),
    ).toMatchObject({ alarmActions: [topicArn], okActions: [topicArn] });
    expect(metricAlarmArgs(metricAlarm!, { namePrefix: "ci-autoscaler-prod" })).not.toHaveProperty(
      "alarmActions",
    );
  });

  it("read one metric or one query, named for the deployment and stage", () => {
    expect(metricAlarmArgs(metricAlarm!, { namePrefix: "ci-autoscaler-prod" })).toMatchObject({
      name: `ci-autoscaler-prod-${metricAlarm!.name}`,
      metricName: metricAlarm!.metric?.name,
      period: metricAlarm!.periodSeconds,
    });
    expect(metricAlarmArgs(queryAlarm!, { namePrefix: "p" })).toMatchObject({
      metricQueries: [
        {
          id: "q",
          expression: queryAlarm!.query,
          period: queryAlarm!.periodSeconds,
          returnData: true,
        },
      ],
    });
  });
});
