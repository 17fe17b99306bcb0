import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  DynamoDemandStore,
  DynamoRunnerStore,
  Ec2FleetCompute,
  GitLabRestClient,
  newRunnerName,
  parseAutoscalerConfig,
  SsmTokenDrop,
  systemClock,
  tokenParameterPrefix,
} from "@ger/core";
// The pools are code: bundled into the function and validated at cold start.
import poolsConfig from "../../../../autoscaler.config";
import { createObservability } from "../shared/observability";
import { loadScalerConfig } from "./config";
import { createScalerHandler } from "./handler";

// Composition root for AWS: clients at module scope, reused across warm invocations.
const env = loadScalerConfig(process.env);
const config = {
  ...parseAutoscalerConfig(poolsConfig),
  ...(env.GITLAB_URL && { gitlab_url: env.GITLAB_URL }),
};
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const secrets = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) });
const gitlab = new GitLabRestClient({
  baseUrl: config.gitlab_url,
  // Cached five minutes by Powertools; a rotated token is picked up on the next read.
  token: async () => String(await secrets.get(env.GITLAB_TOKEN_SECRET_ID, { maxAge: 300 })),
});
// Adaptive retries: EC2's token buckets refill slowly, and RequestLimitExceeded is retried with backoff.
const ec2 = new EC2Client({ retryMode: "adaptive", maxAttempts: 6 });

export const handler = createScalerHandler(
  {
    config,
    demand: new DynamoDemandStore(documents, env.TABLE_NAME),
    runners: new DynamoRunnerStore(documents, env.TABLE_NAME),
    jobsApi: gitlab,
    registry: gitlab,
    tokens: new SsmTokenDrop(new SSMClient({}), {
      parameterPrefix: tokenParameterPrefix(config.deployment),
      instanceArnPrefix: `arn:${env.AWS_PARTITION}:ec2:${env.AWS_REGION}:${env.AWS_ACCOUNT_ID}:instance/`,
    }),
    compute: new Ec2FleetCompute(ec2, {
      deployment: config.deployment,
      launchTemplates: env.LAUNCH_TEMPLATES,
    }),
    clock: systemClock,
    newRunnerName,
  },
  createObservability("scaler"),
);
