import { parseEnvironment } from "@ger/core";
import * as v from "valibot";

/** The documented default, so that a first `npm start` and the README's curl agree. */
export const DEFAULT_LOCAL_WEBHOOK_SECRET = "local-webhook-secret";
export const DEFAULT_LOCAL_PORT = 8080;
export const DEFAULT_LOCAL_TABLE = "gitlab-runner-autoscaler-local";

const port = v.pipe(
  v.string(),
  v.transform(Number),
  v.number("must be a port number"),
  v.integer("must be a port number"),
  v.minValue(1),
  v.maxValue(65535),
);

const localEnvironment = v.object({
  PORT: v.optional(port, String(DEFAULT_LOCAL_PORT)),
  HOST: v.optional(v.string(), "127.0.0.1"),
  WEBHOOK_SECRET: v.optional(v.pipe(v.string(), v.minLength(1)), DEFAULT_LOCAL_WEBHOOK_SECRET),
  WEBHOOK_SIGNING_KEY: v.optional(
    v.pipe(v.string(), v.startsWith("whsec_", "must start with whsec_")),
  ),
  TABLE_NAME: v.optional(v.pipe(v.string(), v.minLength(3)), DEFAULT_LOCAL_TABLE),
  DYNAMODB_PORT: v.optional(port),
  DYNAMODB_DATA_DIR: v.optional(v.pipe(v.string(), v.minLength(1))),
});

export type LocalSettings = v.InferOutput<typeof localEnvironment>;

export const loadLocalSettings = (env: NodeJS.ProcessEnv): LocalSettings =>
  parseEnvironment(localEnvironment, env, "the local stack");
