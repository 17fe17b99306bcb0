import { api } from "./api";
import { deadLetters, instanceEvents, reaper, scaler, webhook } from "./functions";
import {
  alarmDefinitions,
  dashboardBody,
  dashboardUrl,
  type MonitoringInputs,
  metricAlarmArgs,
} from "./lib/monitoring";
import { alarmEmail, config, deployment, region } from "./settings";

const inputs = $resolve([
  region.region,
  webhook.name,
  scaler.name,
  reaper.name,
  instanceEvents.name,
  api.nodes.api.id,
  deadLetters.nodes.queue.name,
]).apply(
  ([
    regionName,
    webhookName,
    scalerName,
    reaperName,
    eventsName,
    apiId,
    queueName,
  ]): MonitoringInputs => ({
    region: regionName,
    pools: config.pools.map((pool) => pool.name),
    functions: {
      webhook: webhookName,
      scaler: scalerName,
      reaper: reaperName,
      "instance-events": eventsName,
    },
    apiId,
    deadLetterQueueName: queueName,
  }),
);

export const dashboard = new aws.cloudwatch.Dashboard("Dashboard", {
  dashboardName: `${deployment}-${$app.stage}`,
  dashboardBody: inputs.apply((resolved) => JSON.stringify(dashboardBody(resolved))),
});

export const dashboardLink = $resolve([region.region, dashboard.dashboardName]).apply(
  ([regionName, name]) => dashboardUrl(regionName, name),
);

/** Optional: `ALARM_EMAIL` at deploy time subscribes an address (AWS asks it to confirm). */
const topic = alarmEmail ? new aws.sns.Topic("Alarms") : undefined;
if (topic && alarmEmail) {
  new aws.sns.TopicSubscription("AlarmsEmail", {
    topic: topic.arn,
    protocol: "email",
    endpoint: alarmEmail,
  });
}

// One alarm per definition; definitions and arguments are plain data (infra/lib/monitoring.ts).
inputs.apply((resolved) =>
  alarmDefinitions(resolved).map(
    (alarm) =>
      new aws.cloudwatch.MetricAlarm(
        `Alarm-${alarm.name}`,
        metricAlarmArgs(alarm, { namePrefix: `${deployment}-${$app.stage}`, topicArn: topic?.arn }),
      ),
  ),
);
