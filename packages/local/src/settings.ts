import { ConfigurationError, launchTemplatesSetting, parseEnvironment } from "@ger/core";
import * as v from "valibot";

/** The documented default, so that a first `npm start` and the README's curl agree. */
export const DEFAULT_LOCAL_WEBHOOK_SECRET = "local-webhook-secret";
export const DEFAULT_LOCAL_PORT = 8080;
export const DEFAULT_LOCAL_TABLE = "gitlab-runner-autoscaler-local";

const integer = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.transform(Number),
    v.number("must be a whole number"),
    v.integer("must be a whole number"),
    v.minValue(min),
    v.maxValue(max),
  );
const port = integer(1, 65535);

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
  AUTOSCALER_CONFIG: v.optional(v.pipe(v.string(), v.minLength(1))),
  GITLAB_DOUBLE_PORT: v.optional(port),
  /** Simulated EC2: launch call to the runner's first poll. */
  SIM_BOOT_DELAY_MS: v.optional(integer(0, 600_000), "3000"),
  /** Simulated gitlab-runner: pause between two job requests (gitlab-runner's check_interval). */
  SIM_CHECK_INTERVAL_MS: v.optional(integer(50, 60_000), "1000"),
  /** The scaler's backstop schedule (one minute on AWS). */
  SCALER_SCHEDULE_SECONDS: v.optional(integer(1, 3600), "60"),
  /** The reaper's schedule (one minute on AWS). */
  REAPER_SCHEDULE_SECONDS: v.optional(integer(1, 3600), "60"),
  /** Set all of these to drive a real GitLab and real EC2 instead of the double and the simulation. */
  GITLAB_URL: v.optional(v.pipe(v.string(), v.url())),
  GITLAB_TOKEN: v.optional(v.pipe(v.string(), v.minLength(1))),
  LAUNCH_TEMPLATES: v.optional(launchTemplatesSetting),
  AWS_ACCOUNT_ID: v.optional(
    v.pipe(v.string(), v.regex(/^\d{12}$/, "must be a 12-digit account id")),
  ),
  AWS_REGION: v.optional(v.pipe(v.string(), v.minLength(1))),
});

const REAL_EDGE_SETTINGS = [
  "GITLAB_URL",
  "GITLAB_TOKEN",
  "LAUNCH_TEMPLATES",
  "AWS_ACCOUNT_ID",
  "AWS_REGION",
] as const;

export type LocalSettings = v.InferOutput<typeof localEnvironment>;

export const loadLocalSettings = (env: NodeJS.ProcessEnv): LocalSettings => {
  const settings = parseEnvironment(localEnvironment, env, "the local stack");
  // Half real, half simulated would let simulated runners take real jobs, or real instances look
  // for a GitLab on this machine's loopback: all or nothing.
  if (settings.GITLAB_URL) {
    const missing = REAL_EDGE_SETTINGS.filter((name) => settings[name] === undefined);
    if (missing.length > 0) {
      throw new ConfigurationError(
        `the local stack is misconfigured: GITLAB_URL is set, so ${missing.join(", ")} must be too`,
      );
    }
    // The default is printed and in the README: with real edges it would let anyone who can
    // reach the webhook record jobs that launch real instances.
    if (settings.WEBHOOK_SECRET === DEFAULT_LOCAL_WEBHOOK_SECRET) {
      throw new ConfigurationError(
        "the local stack is misconfigured: with a real GitLab, set WEBHOOK_SECRET to a secret of your own (openssl rand -hex 32), not the public default",
      );
    }
  }
  return settings;
};
