import { config } from "./settings";

// Values are set by the operator after deploy (README, "Deploy to AWS"): nothing secret is in code
// or in Pulumi state. SST retains a retained stage's tables and buckets on `sst remove`, not its
// secrets: these are retained here, with the table they belong to.
const keepOnRemove = { retainOnDelete: $app.removal !== "remove" };
/** The customer's key (kms_key_arn), else Secrets Manager's aws/secretsmanager. */
const kmsKeyId = config.kms_key_arn;

/** GitLab token with the create_runner and manage_runner scopes (read_api for reconciliation). */
export const gitlabToken = new aws.secretsmanager.Secret(
  "GitlabToken",
  {
    description: "GitLab token for the runner autoscaler: create_runner, manage_runner, read_api",
    recoveryWindowInDays: 7,
    kmsKeyId,
  },
  keepOnRemove,
);

/** The webhook's secret token (or {"token","signingKey"}), the same as in the GitLab hook. */
export const webhookSecret = new aws.secretsmanager.Secret(
  "WebhookSecret",
  {
    description: "Secret token of the GitLab Job Hook (X-Gitlab-Token)",
    recoveryWindowInDays: 7,
    kmsKeyId,
  },
  keepOnRemove,
);
