import { parseEnvironment } from "@ger/core";
import * as v from "valibot";

const required = v.pipe(v.string(), v.minLength(1, "must not be empty"));

const webhookEnvironment = v.object(
  { TABLE_NAME: required, WEBHOOK_SECRET_ID: required },
  "is required",
);

export type WebhookConfig = v.InferOutput<typeof webhookEnvironment>;

/** Read once at cold start; a missing variable fails the init with its name. */
export const loadWebhookConfig = (env: NodeJS.ProcessEnv): WebhookConfig =>
  parseEnvironment(webhookEnvironment, env, "the webhook function");
