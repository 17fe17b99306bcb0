import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { parseWebhookCredentials, projectHookToken } from "@ger/core";
import { DEFAULT_LOCAL_WEBHOOK_SECRET } from "@ger/local/settings";
import { UsageError } from "../table-target";

export interface HookTokenOptions {
  readonly project?: string;
  readonly secretId?: string;
}

interface WebhookSecret {
  readonly value: string;
  /** Where it was read, for the notes on stderr. */
  readonly source: string;
}

const readSecretsManager = async (secretId: string): Promise<string> => {
  const client = new SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (SecretString === undefined)
      throw new Error(`the secret ${secretId} holds binary data, not the webhook secret`);
    return SecretString;
  } finally {
    client.destroy();
  }
};

/** The webhook secret: from Secrets Manager with --secret-id, else WEBHOOK_SECRET, else the local stack's. */
const readWebhookSecret = async (
  options: HookTokenOptions,
  env: NodeJS.ProcessEnv,
): Promise<WebhookSecret> => {
  if (options.secretId)
    return { value: await readSecretsManager(options.secretId), source: options.secretId };
  if (env.WEBHOOK_SECRET) return { value: env.WEBHOOK_SECRET, source: "WEBHOOK_SECRET" };
  console.error(
    "(no --secret-id and no WEBHOOK_SECRET: using the local stack's default secret; pass --secret-id ARN for a deployment)",
  );
  return { value: DEFAULT_LOCAL_WEBHOOK_SECRET, source: "the local stack's default secret" };
};

const projectId = (value: string | undefined): number => {
  const id = Number(value);
  if (value === undefined || !Number.isSafeInteger(id) || id < 1)
    throw new UsageError("hook-token needs --project N, the GitLab project's id (a whole number)");
  return id;
};

/**
 * `hook-token --project N [--secret-id ARN]`: the secret token for project N's hook, derived from
 * the webhook secret's master token. Only the token goes to stdout, so it can be piped.
 */
export const runHookToken = async (
  options: HookTokenOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> => {
  const id = projectId(options.project);
  const secret = await readWebhookSecret(options, env);
  const credentials = parseWebhookCredentials(secret.value);
  if (!credentials.projectTokens) {
    console.error(
      `(${secret.source} is in shared mode: the webhook accepts this token only once the secret is JSON with "projectTokens": true)`,
    );
  }
  console.log(projectHookToken(credentials.token, id));
};
