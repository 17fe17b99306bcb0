import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDemandStore, StaticWebhookCredentials, systemClock } from "@ger/core";
import { createObservability } from "@ger/functions";
import { createWebhookHandler } from "@ger/functions/webhook";
import { LOCAL_AWS_SETTINGS, startDynamoDbLocal } from "./dynamodb-local";
import { createLocalServer } from "./server";
import { loadLocalSettings } from "./settings";
import { ensureTable } from "./table-setup";

// Composition root for `npm start`: the AWS edges swapped for local ones, the handlers unchanged.
const settings = (() => {
  try {
    return loadLocalSettings(process.env);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exit(2);
  }
})();
// EMF lines are for CloudWatch; on a terminal they only bury the logs.
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";

if (settings.DYNAMODB_DATA_DIR) await mkdir(settings.DYNAMODB_DATA_DIR, { recursive: true });
const dynamoDbLocal = await startDynamoDbLocal({
  port: settings.DYNAMODB_PORT,
  dataDir: settings.DYNAMODB_DATA_DIR,
});
const dynamo = new DynamoDBClient({ endpoint: dynamoDbLocal.endpoint, ...LOCAL_AWS_SETTINGS });
await ensureTable(dynamo, settings.TABLE_NAME);

const webhook = createWebhookHandler(
  {
    demand: new DynamoDemandStore(DynamoDBDocumentClient.from(dynamo), settings.TABLE_NAME),
    credentials: new StaticWebhookCredentials({
      token: settings.WEBHOOK_SECRET,
      ...(settings.WEBHOOK_SIGNING_KEY && { signingKey: settings.WEBHOOK_SIGNING_KEY }),
    }),
    clock: systemClock,
  },
  createObservability("webhook"),
);
const server = createLocalServer({
  webhook,
  health: { tableName: settings.TABLE_NAME, dynamodbEndpoint: dynamoDbLocal.endpoint },
});
server.listen(settings.PORT, settings.HOST);
await once(server, "listening");

const baseUrl = `http://${settings.HOST}:${settings.PORT}`;
console.error(
  [
    "Local control plane is up.",
    `  webhook URL:    ${baseUrl}/webhook`,
    `  secret token:   ${settings.WEBHOOK_SECRET}   (X-Gitlab-Token; set WEBHOOK_SECRET to change it)`,
    `  health:         ${baseUrl}/healthz`,
    `  DynamoDB Local: ${dynamoDbLocal.endpoint} (table ${settings.TABLE_NAME}, ${settings.DYNAMODB_DATA_DIR ?? "in memory"})`,
    "  state:          npm run cli -- status",
  ].join("\n"),
);

const shutdown = async () => {
  server.close();
  await dynamoDbLocal.stop();
  process.exit(0);
};
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
