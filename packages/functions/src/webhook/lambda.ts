import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  DynamoDemandStore,
  DynamoJobDurations,
  SecretsManagerWebhookCredentials,
  systemClock,
} from "@ger/core";
import { createObservability } from "../shared/observability";
import { loadWebhookConfig } from "./config";
import { createWebhookHandler } from "./handler";

// Composition root for AWS: clients at module scope, reused across warm invocations.
const config = loadWebhookConfig(process.env);
const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const secrets = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) });

export const handler = createWebhookHandler(
  {
    demand: new DynamoDemandStore(dynamo, config.TABLE_NAME),
    durations: new DynamoJobDurations(dynamo, config.TABLE_NAME),
    credentials: new SecretsManagerWebhookCredentials(
      secrets,
      config.WEBHOOK_SECRET_ID,
      systemClock,
    ),
    clock: systemClock,
  },
  createObservability("webhook"),
);
