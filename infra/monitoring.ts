import { api } from "./api";
import { deadLetters, instanceEvents, reaper, scaler, webhook } from "./functions";
import { alarmDefinitions, dashboardBody, type MonitoringInputs } from "./lib/monitoring";
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

/** Optional: `ALARM_EMAIL` at deploy time subscribes an address (AWS asks it to confirm). */
const topic = alarmEmail ? new aws.sns.Topic("Alarms") : undefined;
if (topic && alarmEmail) {
  new aws.sns.TopicSubscription("AlarmsEmail", {
    topic: topic.arn,
    protocol: "email",
    endpoint: alarmEmail,
  });
}

// One alarm per definition; the definitions are plain data (infra/lib/monitoring.ts), tested.
inputs.apply((resolved) =>
  alarmDefinitions(resolved).map(
    (alarm) =>
      new aws.cloudwatch.MetricAlarm(`Alarm-${alarm.name}`, {
        name: `${deployment}-${$app.stage}-${alarm.name}`,
        alarmDescription: alarm.description,
        comparisonOperator: alarm.comparison,
        evaluationPeriods: alarm.evaluationPeriods,
        threshold: alarm.threshold,
        treatMissingData: "notBreaching",
        ...(topic && { alarmActions: [topic.arn], okActions: [topic.arn] }),
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
                {
                  id: "q",
                  expression: alarm.query ?? "",
                  period: alarm.periodSeconds,
                  returnData: true,
                },
              ],
            }),
      }),
  ),
);
