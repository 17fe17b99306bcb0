import type { MonitoringInputs } from "../../infra/lib/monitoring";
import { MOCK_ACCOUNT } from "./harness";
import { named, type RecordedResource } from "./record";

/** What infra/monitoring.ts hands the monitoring builders, read back from a recorded deploy. */
export const monitoringInputsOf = (
  resources: readonly RecordedResource[],
  pools: readonly string[],
  runnerLogGroup: string | undefined,
): MonitoringInputs => {
  const lambda = (id: string) =>
    String(named(resources, "aws:lambda/function:Function", `${id}Function`).inputs.name);
  return {
    region: MOCK_ACCOUNT.region,
    pools: [...pools],
    functions: {
      webhook: lambda("Webhook"),
      scaler: lambda("Scaler"),
      reaper: lambda("Reaper"),
      "instance-events": lambda("InstanceEvents"),
    },
    apiId: String(named(resources, "aws:apigatewayv2/api:Api", "WebhookApiApi").outputs.id),
    deadLetterQueueName: String(
      named(resources, "aws:sqs/queue:Queue", "DeadLettersQueue").inputs.name,
    ),
    ...(runnerLogGroup !== undefined && { runnerLogGroup }),
  };
};
