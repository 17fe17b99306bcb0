import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoConnectedHooks, GitLabRestClient, GitLabSetupRestApi } from "@ger/core";
import type { AutoscalerConfig, ConnectedHooks, StageOutputs } from "@ger/core/types";
import { DEFAULT_LOCAL_PORT, DEFAULT_LOCAL_WEBHOOK_SECRET } from "@ger/local/settings";
import { createSdkAwsAccount } from "./doctor/aws/sdk-account";
import type { AwsAccount } from "./doctor/aws-account";
import { LOCAL_STAGE, localStackAccount } from "./doctor/local-account";
import type { GitlabClients } from "./doctor/run-doctor";
import { discoverLocalStack, resolveTableTarget, UsageError } from "./table-target";

/** A deployment as `doctor` and `connect` reach it: a stage in AWS, or the local stack. */
export interface DeploymentTarget {
  readonly stage: string;
  readonly description: string;
  readonly account: AwsAccount;
  /** The config as this deployment runs it (the local stack swaps in its GitLab double). */
  readonly config: AutoscalerConfig;
  readonly gitlab: (token: string) => GitlabClients;
  readonly connectedHooks: (outputs: StageOutputs) => ConnectedHooks;
  /** The flags that name this target on the command line (`--stage prod`, or none). */
  readonly flags: string;
  close(): void;
}

const gitlabClients =
  (baseUrl: string) =>
  (token: string): GitlabClients => {
    const registry = new GitLabRestClient({ baseUrl, token: async () => token });
    return { registry, setup: new GitLabSetupRestApi(registry) };
  };

/**
 * With a stage (--stage or SST_STAGE): that stage in the AWS account of the default credential
 * chain. Without: the local stack on PORT, whose AWS side is simulated.
 */
export const resolveDeploymentTarget = async (
  options: { readonly stage?: string },
  config: AutoscalerConfig,
  env: NodeJS.ProcessEnv,
): Promise<DeploymentTarget> => {
  const stage = options.stage ?? env.SST_STAGE;
  if (stage) {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(stage))
      throw new UsageError(`--stage ${stage}: a stage name holds only letters, digits and '-'`);
    const account = createSdkAwsAccount();
    const dynamodb = new DynamoDBClient({});
    const documents = DynamoDBDocumentClient.from(dynamodb);
    return {
      stage,
      description: "AWS",
      account,
      config,
      gitlab: gitlabClients(config.gitlab_url),
      connectedHooks: (outputs) => new DynamoConnectedHooks(documents, outputs.tableName),
      flags: ` --stage ${stage}`,
      close: () => {
        dynamodb.destroy();
        account.destroy();
      },
    };
  }
  const port = env.PORT ?? String(DEFAULT_LOCAL_PORT);
  const local = await discoverLocalStack(port);
  const gitlabToken = local.gitlabDoubleToken ?? env.GITLAB_TOKEN;
  if (!gitlabToken)
    throw new UsageError(
      "the local stack runs against a real GitLab: set GITLAB_TOKEN to its token, or pass --stage NAME for a deployed stage",
    );
  const table = await resolveTableTarget({}, env);
  return {
    stage: LOCAL_STAGE,
    description: `local stack on port ${port}, simulated EC2`,
    account: localStackAccount(config, {
      tableName: local.tableName,
      webhookUrl: local.webhookUrl,
      gitlabToken,
      webhookSecret: env.WEBHOOK_SECRET ?? DEFAULT_LOCAL_WEBHOOK_SECRET,
    }),
    config: { ...config, gitlab_url: local.gitlabUrl },
    gitlab: gitlabClients(local.gitlabUrl),
    connectedHooks: () => new DynamoConnectedHooks(table.client, table.tableName),
    flags: "",
    close: () => table.client.destroy(),
  };
};
