import { api } from "./api";
import { deadLetters, instanceEvents, reaper, scaler, webhook } from "./functions";
import {
  alarmDefinitions,
  dashboardBody,
  dashboardUrl,
  type MonitoringInputs,
  metricAlarmArgs,
} from "./lib/monitoring";
import { runnerLogGroup } from "./runners";
import { alarmEmail, config, deployment, region } from "./settings";

const inputs = $resolve({
  regionName: region.region,
  webhookName: webhook.name,
  scalerName: scaler.name,
  reaperName: reaper.name,
  eventsName: instanceEvents.name,
  apiId: api.nodes.api.id,
  queueName: deadLetters.nodes.queue.name,
  // runner_logs off: no log group, no widget of its failures.
  logGroupName: runnerLogGroup ? runnerLogGroup.name : "",
}).apply(
  (resolved): MonitoringInputs => ({
    region: resolved.regionName,
    pools: config.pools.map((pool) => pool.name),
    functions: {
      webhook: resolved.webhookName,
      scaler: resolved.scalerName,
      reaper: resolved.reaperName,
      "instance-events": resolved.eventsName,
    },
    apiId: resolved.apiId,
    deadLetterQueueName: resolved.queueName,
    ...(resolved.logGroupName && { runnerLogGroup: resolved.logGroupName }),
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
