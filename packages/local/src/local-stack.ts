import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  DynamoDemandStore,
  DynamoJobDurations,
  DynamoLease,
  DynamoPoolControls,
  DynamoRunnerStore,
  groupsOfPools,
  loadConfigFile,
  newRunnerName,
  ProjectGroups,
  RegistrationCaps,
  StaticWebhookCredentials,
  scalerWantsRecord,
  systemClock,
} from "@ger/core";
import type { Clock } from "@ger/core/types";
import { createObservability } from "@ger/functions";
import { createInstanceEventsHandler } from "@ger/functions/instance-events";
import { createReaperHandler } from "@ger/functions/reaper";
import { createScalerHandler } from "@ger/functions/scaler";
import { createWebhookHandler } from "@ger/functions/webhook";
import type { Context } from "aws-lambda";
import { type DynamoDbClientSettings, startDynamoDbLocal } from "./dynamodb-local";
import { localLambdaContext } from "./lambda-http-adapter";
import { realEdges, type ScalerEdges, simulatedEdges } from "./scaler-edges";
import { createLocalServer } from "./server";
import type { LocalSettings } from "./settings";
import { storeAccessKeyId } from "./store-access-key";
import { pollTableStream } from "./stream-poller";
import { ensureTable } from "./table-setup";

const onError = (component: string) => (error: unknown) =>
  console.error(
    JSON.stringify({ level: "ERROR", message: `${component} failed`, error: String(error) }),
  );

export interface LocalStack {
  readonly baseUrl: string;
  readonly dynamodbEndpoint: string;
  /** What reaches the stack's database: it is invisible to any other access key id. */
  readonly dynamodbClientSettings: DynamoDbClientSettings;
  readonly edges: ScalerEdges;
  stop(): Promise<void>;
}

/** Makes a stack's edges, given its webhook's URL and where its instances' state changes go. */
export type EdgesFactory = (
  webhookUrl: string,
  onInstanceStateChange: (instanceId: string, state: string) => void,
) => Promise<ScalerEdges>;

export interface LocalStackOptions {
  readonly clock?: Clock;
  /**
   * Edges of the caller's instead of those the settings call for: a GitLab double and simulated
   * EC2 that outlive the stack, for a restart. The stack calls their stop() when it stops.
   */
  readonly edges?: EdgesFactory;
}

/**
 * The control plane on this machine: the same handlers as in Lambda, with DynamoDB Local, the
 * GitLab double (which sends real Job Hooks to the webhook) and simulated EC2 at the edges.
 */
/**
 * Starts the local control plane. `clock` is what every part reads the time from (the system's,
 * from `npm start`); tests give one that runs from an instant of their choosing.
 */
export const startLocalStack = async (
  settings: LocalSettings,
  { clock = systemClock, edges: makeEdges }: LocalStackOptions = {},
): Promise<LocalStack> => {
  // DynamoDB Local answers anyone who can reach its port: the key keeps the stack's data its own.
  const accessKeyId = await storeAccessKeyId(settings.DYNAMODB_DATA_DIR);
  const dynamoDbLocal = await startDynamoDbLocal({
    port: settings.DYNAMODB_PORT,
    dataDir: settings.DYNAMODB_DATA_DIR,
    accessKeyId,
  });
  const { endpoint, clientSettings } = dynamoDbLocal;
  const dynamodb = new DynamoDBClient({ endpoint, ...clientSettings });
  const streams = new DynamoDBStreamsClient({ endpoint, ...clientSettings });
  await ensureTable(dynamodb, settings.TABLE_NAME);
  const documents = DynamoDBDocumentClient.from(dynamodb);
  const demand = new DynamoDemandStore(documents, settings.TABLE_NAME);
  const durations = new DynamoJobDurations(documents, settings.TABLE_NAME);

  const webhook = createWebhookHandler(
    {
      demand,
      durations,
      credentials: new StaticWebhookCredentials({
        token: settings.WEBHOOK_SECRET,
        ...(settings.WEBHOOK_SIGNING_KEY && { signingKey: settings.WEBHOOK_SIGNING_KEY }),
      }),
      clock,
    },
    createObservability("webhook"),
  );
  // Filled in once every part is up; the CLI finds the stack's table and GitLab double here.
  let health: Record<string, unknown> = {
    tableName: settings.TABLE_NAME,
    dynamodbEndpoint: endpoint,
    dynamodbAccessKeyId: accessKeyId,
  };
  let functions: Record<string, (event: unknown, context: Context) => Promise<unknown>> = {};
  const server = createLocalServer({ webhook, health: () => health, functions: () => functions });
  server.listen(settings.PORT, settings.HOST);
  await once(server, "listening");
  const baseUrl = `http://${settings.HOST}:${(server.address() as AddressInfo).port}`;

  const fileConfig = await loadConfigFile(settings.AUTOSCALER_CONFIG);
  const { GITLAB_URL, GITLAB_TOKEN, LAUNCH_TEMPLATES, AWS_ACCOUNT_ID, AWS_REGION } = settings;
  // Simulated EC2 reports state changes as EventBridge would, to the same event handler.
  let instanceEvents: ReturnType<typeof createInstanceEventsHandler> | undefined;
  const onInstanceStateChange = (instanceId: string, state: string) => {
    const event = {
      source: "aws.ec2",
      "detail-type": "EC2 Instance State-change Notification",
      detail: { "instance-id": instanceId, state },
    };
    instanceEvents?.(event, localLambdaContext("instance-events")).catch(onError("instance event"));
  };
  const edges = makeEdges
    ? await makeEdges(`${baseUrl}/webhook`, onInstanceStateChange)
    : GITLAB_URL && GITLAB_TOKEN && LAUNCH_TEMPLATES && AWS_ACCOUNT_ID && AWS_REGION
      ? realEdges(
          { GITLAB_URL, GITLAB_TOKEN, LAUNCH_TEMPLATES, AWS_ACCOUNT_ID, AWS_REGION },
          fileConfig,
        )
      : await simulatedEdges(settings, `${baseUrl}/webhook`, onInstanceStateChange, clock);
  const controlPlane = {
    config: { ...fileConfig, gitlab_url: edges.gitlabUrl },
    demand,
    durations,
    runners: new DynamoRunnerStore(documents, settings.TABLE_NAME),
    lease: new DynamoLease(documents, settings.TABLE_NAME),
    poolControls: new DynamoPoolControls(documents, settings.TABLE_NAME),
    jobsApi: edges.jobsApi,
    registry: edges.registry,
    ...(edges.webhook && {
      webhook: { ...edges.webhook, groupIds: groupsOfPools(fileConfig.pools) },
    }),
    tokens: edges.tokens,
    compute: edges.compute,
    clock,
  };
  const scaler = createScalerHandler(
    {
      ...controlPlane,
      newRunnerName,
      registrationCaps: new RegistrationCaps(),
      projectGroups: new ProjectGroups(),
    },
    createObservability("scaler"),
  );
  const reaper = createReaperHandler(controlPlane, createObservability("reaper"));
  instanceEvents = createInstanceEventsHandler(
    controlPlane,
    createObservability("instance-events"),
  );
  functions = { reaper: reaper as never, scaler: scaler as never };

  const poller = pollTableStream({
    dynamodb,
    streams,
    tableName: settings.TABLE_NAME,
    select: scalerWantsRecord,
    deliver: (event) => scaler(event, localLambdaContext("scaler")),
    onError: onError("scaler"),
  });
  const schedules = [
    setInterval(() => {
      scaler({ source: "aws.scheduler" }, localLambdaContext("scaler")).catch(onError("scaler"));
    }, settings.SCALER_SCHEDULE_SECONDS * 1000),
    setInterval(() => {
      reaper({ source: "aws.scheduler" }, localLambdaContext("reaper")).catch(onError("reaper"));
    }, settings.REAPER_SCHEDULE_SECONDS * 1000),
  ];

  health = {
    ...health,
    webhookUrl: `${baseUrl}/webhook`,
    gitlabUrl: edges.gitlabUrl,
    // The double's token only: a real GitLab's is never handed out, not even on loopback.
    ...(edges.double && {
      gitlabDoubleUrl: edges.double.url,
      gitlabDoubleToken: edges.double.adminToken,
    }),
  };

  return {
    baseUrl,
    dynamodbEndpoint: endpoint,
    dynamodbClientSettings: clientSettings,
    edges,
    stop: async () => {
      for (const schedule of schedules) clearInterval(schedule);
      await poller.stop();
      server.closeAllConnections();
      server.close();
      await edges.stop();
      dynamodb.destroy();
      streams.destroy();
      await dynamoDbLocal.stop();
    },
  };
};
