import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  DynamoDemandStore,
  DynamoJobDurations,
  DynamoLease,
  DynamoPoolControls,
  DynamoRunnerStore,
  Ec2FleetCompute,
  GitLabRestClient,
  groupsOfPools,
  parseAutoscalerConfig,
  SsmTokenDrop,
  systemClock,
  type ThrottleCounter,
  tokenParameterPrefix,
} from "@ger/core";
// The pools are code: bundled into the function and validated at cold start.
import poolsConfig from "../../../../autoscaler.config";
import { loadControlPlaneConfig } from "./control-plane-config";
import { countEc2Throttles } from "./ec2-throttles";

/**
 * Everything the scaler, the reaper and the EC2-event function talk to, built once per cold start
 * from the environment: the same adapters for all three, clients at module scope.
 */
export const awsControlPlane = (env: NodeJS.ProcessEnv, throttles: ThrottleCounter) => {
  const settings = loadControlPlaneConfig(env);
  const config = {
    ...parseAutoscalerConfig(poolsConfig),
    ...(settings.GITLAB_URL && { gitlab_url: settings.GITLAB_URL }),
  };
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const secrets = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) });
  const gitlab = new GitLabRestClient({
    baseUrl: config.gitlab_url,
    // Cached five minutes by Powertools; a rotated token is picked up on the next read.
    token: async () => String(await secrets.get(settings.GITLAB_TOKEN_SECRET_ID, { maxAge: 300 })),
    onThrottle: () => throttles.note("GitLab"),
    // A runner id from the table is deleted only if GitLab describes it as this deployment's.
    deployment: config.deployment,
  });
  // Adaptive retries: EC2's token buckets refill slowly, and RequestLimitExceeded is retried with backoff.
  const ec2 = new EC2Client({ retryMode: "adaptive", maxAttempts: 6 });
  countEc2Throttles(ec2, () => throttles.note("EC2"));
  return {
    config,
    demand: new DynamoDemandStore(documents, settings.TABLE_NAME),
    // Lookahead's estimates (the scaler reads them; the webhook records them, see its lambda.ts).
    durations: new DynamoJobDurations(documents, settings.TABLE_NAME),
    runners: new DynamoRunnerStore(documents, settings.TABLE_NAME),
    lease: new DynamoLease(documents, settings.TABLE_NAME),
    poolControls: new DynamoPoolControls(documents, settings.TABLE_NAME),
    jobsApi: gitlab,
    registry: gitlab,
    ...(settings.WEBHOOK_URL && {
      webhook: { url: settings.WEBHOOK_URL, hooks: gitlab, groupIds: groupsOfPools(config.pools) },
    }),
    tokens: new SsmTokenDrop(new SSMClient({}), {
      parameterPrefix: tokenParameterPrefix(config.deployment),
      instanceArnPrefix: `arn:${settings.AWS_PARTITION}:ec2:${settings.AWS_REGION}:${settings.AWS_ACCOUNT_ID}:instance/`,
      ...(config.kms_key_arn && { kmsKeyId: config.kms_key_arn }),
    }),
    compute: new Ec2FleetCompute(ec2, {
      deployment: config.deployment,
      tags: config.tags,
      launchTemplates: settings.LAUNCH_TEMPLATES,
    }),
    clock: systemClock,
  };
};
