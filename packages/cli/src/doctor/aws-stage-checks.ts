import type { AutoscalerConfig } from "@ger/core/types";
import type { AwsAccount, StageOutputs } from "./aws-account";
import { type CheckResult, checksOf, describeError } from "./check";

const { pass, warn, fail } = checksOf("aws");

/** What the webhook answered a POST without a token: 401 proves it is up and holds its secret. */
export type WebhookProbe = (url: string) => Promise<{ status: number; body: string }>;

export interface StageChecksContext {
  readonly config: AutoscalerConfig;
  readonly account: AwsAccount;
  readonly stage: string;
  readonly outputs: StageOutputs;
  readonly probeWebhook: WebhookProbe;
}

/** The deployed stage: its deployment name, table, functions, secrets and webhook. */
export const checkStage = async (context: StageChecksContext): Promise<CheckResult[]> => {
  const { config, outputs } = context;
  const results: CheckResult[] = [];
  if (outputs.deployment !== config.deployment)
    results.push(
      fail("aws.stage.deployment", "deployment", {
        saw: `stage ${context.stage} was deployed as "${outputs.deployment}", the config says "${config.deployment}"`,
        fix: `run doctor with the config this stage was deployed from (--config FILE), or deploy it again: npx sst deploy --stage ${context.stage}`,
      }),
    );
  results.push(
    await guarded("aws.table", "table", () => checkTable(context)),
    ...(await checkFunctions(context)),
    await guarded("aws.secret.gitlab-token", "GitLab token secret", () =>
      checkSecret(context, outputs.gitlabTokenSecret, "GitLab token secret", "'glpat-…'"),
    ),
    await guarded("aws.secret.webhook", "webhook secret", () =>
      checkSecret(context, outputs.webhookSecret, "webhook secret", '"$(openssl rand -hex 32)"'),
    ),
    await guarded("aws.webhook", "webhook", () => checkWebhook(context)),
  );
  return results;
};

/** A check that could not run says why, as a !, instead of ending the report. */
export const guarded = async (
  id: string,
  title: string,
  check: () => Promise<CheckResult>,
): Promise<CheckResult> => {
  try {
    return await check();
  } catch (error) {
    return warn(id, title, {
      saw: `could not check: ${describeError(error)}`,
      fix: "give your credentials the read-only call named above, or run doctor again",
    });
  }
};

const checkTable = async ({ account, outputs, stage }: StageChecksContext) => {
  const table = await account.table(outputs.tableName);
  if (!table)
    return fail("aws.table", "table", {
      saw: `no table ${outputs.tableName}`,
      fix: `deploy the stage again: npx sst deploy --stage ${stage}`,
    });
  if (table.status !== "ACTIVE" || !table.streamEnabled)
    return fail("aws.table", "table", {
      saw: `${outputs.tableName} is ${table.status}${table.streamEnabled ? "" : ", its stream is off (the scaler is not woken by demand)"}`,
      fix: `wait for ACTIVE; if the stream is off, deploy again: npx sst deploy --stage ${stage}`,
    });
  return pass("aws.table", "table", `${outputs.tableName} is ACTIVE with its stream on`);
};

const checkFunctions = async ({ account, outputs, stage }: StageChecksContext) => {
  const results: CheckResult[] = [];
  for (const [role, name] of Object.entries(outputs.functions)) {
    const id = `aws.function.${role}`;
    results.push(
      await guarded(id, `${role} function`, async () => {
        const state = await account.functionState(name);
        if (state === "Active") return pass(id, `${role} function`, `${name} is Active`);
        return fail(id, `${role} function`, {
          saw: state ? `${name} is ${state}` : `no function ${name}`,
          fix: `deploy the stage again: npx sst deploy --stage ${stage}`,
        });
      }),
    );
  }
  return results;
};

const checkSecret = async (
  { account }: StageChecksContext,
  secretId: string,
  title: string,
  example: string,
): Promise<CheckResult> => {
  const id = title.startsWith("GitLab") ? "aws.secret.gitlab-token" : "aws.secret.webhook";
  const set = await account.secretIsSet(secretId);
  if (set) return pass(id, title, `${secretId} holds a value`);
  return fail(id, title, {
    saw: set === undefined ? `no secret ${secretId}` : `${secretId} is still empty`,
    fix: `aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string ${example}`,
  });
};

const checkWebhook = async ({ outputs, probeWebhook }: StageChecksContext) => {
  let answer: { status: number; body: string };
  try {
    answer = await probeWebhook(outputs.webhookUrl);
  } catch (error) {
    return fail("aws.webhook", "webhook", {
      saw: `${outputs.webhookUrl} did not answer: ${describeError((error as Error).cause ?? error)}`,
      fix: "check the API Gateway in the stage (npx sst deploy again), and that this machine reaches it",
    });
  }
  const { status, body } = answer;
  if (status === 401)
    return pass(
      "aws.webhook",
      "webhook",
      `${outputs.webhookUrl} answers and refuses a request without the secret token (401)`,
    );
  return fail("aws.webhook", "webhook", {
    saw: `${outputs.webhookUrl} answered ${status} to a request without a token: ${body.slice(0, 120)}`,
    fix:
      status === 503
        ? "set the webhook secret (see the webhook secret check)"
        : "look at the webhook function's logs in CloudWatch",
  });
};
