import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  DynamoDemandStore,
  DynamoRunnerStore,
  GitLabRestClient,
  InMemoryTokenDrop,
  loadConfigFile,
  newRunnerName,
  StaticWebhookCredentials,
  scalerWantsRecord,
  systemClock,
} from "@ger/core";
import { createObservability } from "@ger/functions";
import { createScalerHandler } from "@ger/functions/scaler";
import { createWebhookHandler } from "@ger/functions/webhook";
import { LOCAL_AWS_SETTINGS, startDynamoDbLocal } from "./dynamodb-local";
import { type GitlabDouble, startGitlabDouble } from "./gitlab-double/index";
import { localLambdaContext } from "./lambda-http-adapter";
import { createLocalServer } from "./server";
import type { LocalSettings } from "./settings";
import { SimulatedEc2 } from "./simulated-ec2";
import { pollTableStream } from "./stream-poller";
import { ensureTable } from "./table-setup";

export interface LocalStack {
  readonly baseUrl: string;
  readonly dynamodbEndpoint: string;
  readonly gitlabDoubleUrl: string;
  readonly gitlab: GitlabDouble;
  readonly compute: SimulatedEc2;
  stop(): Promise<void>;
}

/**
 * The control plane on this machine: the same handlers as in Lambda, with DynamoDB Local, the
 * GitLab double (which sends real Job Hooks to the webhook) and simulated EC2 at the edges.
 */
export const startLocalStack = async (settings: LocalSettings): Promise<LocalStack> => {
  if (settings.DYNAMODB_DATA_DIR) await mkdir(settings.DYNAMODB_DATA_DIR, { recursive: true });
  const dynamoDbLocal = await startDynamoDbLocal({
    port: settings.DYNAMODB_PORT,
    dataDir: settings.DYNAMODB_DATA_DIR,
  });
  const dynamodb = new DynamoDBClient({ endpoint: dynamoDbLocal.endpoint, ...LOCAL_AWS_SETTINGS });
  const streams = new DynamoDBStreamsClient({
    endpoint: dynamoDbLocal.endpoint,
    ...LOCAL_AWS_SETTINGS,
  });
  await ensureTable(dynamodb, settings.TABLE_NAME);
  const documents = DynamoDBDocumentClient.from(dynamodb);
  const demand = new DynamoDemandStore(documents, settings.TABLE_NAME);

  const webhook = createWebhookHandler(
    {
      demand,
      credentials: new StaticWebhookCredentials({
        token: settings.WEBHOOK_SECRET,
        ...(settings.WEBHOOK_SIGNING_KEY && { signingKey: settings.WEBHOOK_SIGNING_KEY }),
      }),
      clock: systemClock,
    },
    createObservability("webhook"),
  );
  // Filled in once every part is up; the CLI finds the stack's table and GitLab double here.
  let health: Record<string, unknown> = {
    tableName: settings.TABLE_NAME,
    dynamodbEndpoint: dynamoDbLocal.endpoint,
  };
  const server = createLocalServer({ webhook, health: () => health });
  server.listen(settings.PORT, settings.HOST);
  await once(server, "listening");
  const baseUrl = `http://${settings.HOST}:${(server.address() as AddressInfo).port}`;

  const gitlab = await startGitlabDouble({
    port: settings.GITLAB_DOUBLE_PORT,
    webhook: { url: `${baseUrl}/webhook`, secretToken: settings.WEBHOOK_SECRET },
  });
  const config = { ...(await loadConfigFile(settings.AUTOSCALER_CONFIG)), gitlab_url: gitlab.url };
  const gitlabApi = new GitLabRestClient({
    baseUrl: gitlab.url,
    token: async () => gitlab.adminToken,
  });
  const tokens = new InMemoryTokenDrop();
  const compute = new SimulatedEc2({
    tokens,
    gitlabUrl: gitlab.url,
    bootDelayMs: settings.SIM_BOOT_DELAY_MS,
    checkIntervalMs: settings.SIM_CHECK_INTERVAL_MS,
  });
  const scaler = createScalerHandler(
    {
      config,
      demand,
      runners: new DynamoRunnerStore(documents, settings.TABLE_NAME),
      jobsApi: gitlabApi,
      registry: gitlabApi,
      tokens,
      compute,
      clock: systemClock,
      newRunnerName,
    },
    createObservability("scaler"),
  );
  const onError = (error: unknown) =>
    console.error(
      JSON.stringify({ level: "ERROR", message: "scaler failed", error: String(error) }),
    );
  const poller = pollTableStream({
    dynamodb,
    streams,
    tableName: settings.TABLE_NAME,
    select: scalerWantsRecord,
    deliver: (event) => scaler(event, localLambdaContext("scaler")),
    onError,
  });
  const schedule = setInterval(() => {
    scaler({ source: "aws.scheduler" }, localLambdaContext("scaler")).catch(onError);
  }, settings.SCALER_SCHEDULE_SECONDS * 1000);

  health = { ...health, gitlabDoubleUrl: gitlab.url };

  return {
    baseUrl,
    dynamodbEndpoint: dynamoDbLocal.endpoint,
    gitlabDoubleUrl: gitlab.url,
    gitlab,
    compute,
    stop: async () => {
      clearInterval(schedule);
      await poller.stop();
      server.closeAllConnections();
      server.close();
      await gitlab.stop();
      dynamodb.destroy();
      streams.destroy();
      await dynamoDbLocal.stop();
    },
  };
};
