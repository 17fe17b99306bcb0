import { SCALER_STREAM_FILTER_PATTERNS } from "@ger/core";
import { api, webhookUrl } from "./api";
import {
  amiParameterPaths,
  functionPermissions,
  type IamContext,
  instanceEventsStatements,
  reaperStatements,
  type Statement,
  scalerStatements,
  webhookStatements,
} from "./lib/iam";
import { launchTemplates, runnerRole } from "./runners";
import { gitlabToken, webhookSecret } from "./secrets";
import { caller, config, deployment, partition, region, tokenPrefix } from "./settings";
import { table } from "./table";

/** Where async invocations, schedules and stream batches land after their last retry. */
export const deadLetters = new sst.aws.Queue("DeadLetters", {
  transform: { queue: { messageRetentionSeconds: 14 * 24 * 3600 } },
});

const iamContext = $resolve({
  partition: partition.partition,
  region: region.region,
  account: caller.accountId,
  tableArn: table.arn,
}).apply(
  (resolved): IamContext => ({
    ...resolved,
    deployment,
    tokenParameterPrefix: tokenPrefix,
    kmsKeyArn: config.kms_key_arn,
  }),
);

const LAUNCH_TEMPLATES = $jsonStringify(
  Object.fromEntries(
    Object.entries(launchTemplates).map(([pool, template]) => [
      pool,
      { launchTemplateId: template.id, version: template.latestVersion.apply(String) },
    ]),
  ),
);

/**
 * Lambda alone may assume a function's role. SST 4.17.1 also trusts the account's root on deploy
 * (its `sst dev` trust: `!dev` tests an Output, always set), which lets any principal of the
 * account allowed sts:AssumeRole take the scaler's launch rights.
 */
const lambdaOnlyTrust = {
  assumeRolePolicy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
    ],
  }),
};

// arm64 is cheaper per GB-s; minified ESM bundles with the SDK inside (SST's default).
const common = {
  architecture: "arm64",
  runtime: "nodejs24.x",
  nodejs: { format: "esm", minify: true },
  logging: { format: "json", retention: "1 month" },
  // `sst dev` keeps SST's trust: the local CLI assumes the roles there.
  transform: { role: $dev ? {} : lambdaOnlyTrust },
} as const;

// A function's own transform replaces common's, so this one carries the role's along.
const deadLetterAfterRetries = {
  ...common.transform,
  function: { deadLetterConfig: { targetArn: deadLetters.arn } },
};
const sendToDeadLetters = { actions: ["sqs:SendMessage"], resources: [deadLetters.arn] };

/** A retiring function's permissions: its statements (which read the GitLab token) and the DLQ. */
const withGitlabToken = (statements: (context: IamContext, secretArn: string) => Statement[]) =>
  $resolve({ context: iamContext, secretArn: gitlabToken.arn }).apply(({ context, secretArn }) => [
    ...functionPermissions(statements(context, secretArn)),
    sendToDeadLetters,
  ]);

const controlPlaneEnvironment = {
  TABLE_NAME: table.name,
  GITLAB_TOKEN_SECRET_ID: gitlabToken.arn,
  LAUNCH_TEMPLATES,
  AWS_ACCOUNT_ID: caller.accountId,
  AWS_PARTITION: partition.partition,
};

export const webhook = new sst.aws.Function("Webhook", {
  ...common,
  handler: "packages/functions/src/webhook/lambda.handler",
  description: "GitLab Job Hook → demand in DynamoDB",
  timeout: "10 seconds",
  memory: "512 MB",
  environment: { TABLE_NAME: table.name, WEBHOOK_SECRET_ID: webhookSecret.arn },
  permissions: $resolve({ context: iamContext, secretArn: webhookSecret.arn }).apply(
    ({ context, secretArn }) => functionPermissions(webhookStatements(context, secretArn)),
  ),
});

api.route("POST /webhook", webhook.arn);

export const scaler = new sst.aws.Function("Scaler", {
  ...common,
  handler: "packages/functions/src/scaler/lambda.handler",
  description: "Starts runners for pending jobs",
  timeout: "1 minute",
  memory: "512 MB",
  environment: controlPlaneEnvironment,
  permissions: $resolve({
    context: iamContext,
    secretArn: gitlabToken.arn,
    roleArn: runnerRole.arn,
    streamArn: table.nodes.table.streamArn,
    templateArns: $util.all(Object.values(launchTemplates).map((template) => template.arn)),
  }).apply(({ context, secretArn, roleArn, streamArn, templateArns }) => [
    ...functionPermissions(
      scalerStatements(context, {
        gitlabTokenSecretArn: secretArn,
        launchTemplateArns: templateArns,
        runnerRoleArn: roleArn,
        tableStreamArn: streamArn,
        amiParameterPaths: amiParameterPaths(config.pools),
      }),
    ),
    sendToDeadLetters,
  ]),
  transform: deadLetterAfterRetries,
});

export const reaper = new sst.aws.Function("Reaper", {
  ...common,
  handler: "packages/functions/src/reaper/lambda.handler",
  description: "Retires idle, finished and stuck runners; cleans orphans; reconciles demand",
  timeout: "2 minutes",
  memory: "512 MB",
  // No reserved concurrency: Lambda refuses a reservation that leaves an account less than 10
  // unreserved (new accounts' limit is 10). The table's lease keeps passes one at a time.
  // The watchdog finds our hook among a project's hooks by its URL.
  environment: { ...controlPlaneEnvironment, WEBHOOK_URL: webhookUrl },
  permissions: withGitlabToken(reaperStatements),
  transform: deadLetterAfterRetries,
});

export const instanceEvents = new sst.aws.Function("InstanceEvents", {
  ...common,
  handler: "packages/functions/src/instance-events/lambda.handler",
  description: "EC2 state changes and spot warnings → retire runners at once",
  timeout: "1 minute",
  memory: "512 MB",
  environment: controlPlaneEnvironment,
  permissions: withGitlabToken(instanceEventsStatements),
  transform: deadLetterAfterRetries,
});

// New demand and runner progress wake the scaler at once; failed batches are split, retried, then parked.
table.subscribe("ScalerOnDemand", scaler.arn, {
  filters: SCALER_STREAM_FILTER_PATTERNS as unknown as Record<string, unknown>[],
  transform: {
    eventSourceMapping: (args) => {
      args.batchSize = 100;
      args.maximumBatchingWindowInSeconds = 1;
      args.bisectBatchOnFunctionError = true;
      args.maximumRetryAttempts = 3;
      args.destinationConfig = { onFailure: { destinationArn: deadLetters.arn } };
    },
  },
});

// The safety net: every minute, whatever the stream did.
new sst.aws.CronV2("ScalerSchedule", {
  function: scaler.arn,
  schedule: "rate(1 minute)",
  retries: 0,
  dlq: deadLetters.arn,
});
new sst.aws.CronV2("ReaperSchedule", {
  function: reaper.arn,
  schedule: "rate(1 minute)",
  retries: 0,
  dlq: deadLetters.arn,
});

// EC2 events arrive on the default bus. EventBridge cannot filter on instance tags, so the handler
// ignores instances that are not ours and states that are not an ending (a few cheap invocations).
const ec2Events = new aws.cloudwatch.EventRule("Ec2InstanceEvents", {
  description: `${deployment}: EC2 state changes and spot interruption warnings`,
  eventPattern: JSON.stringify({
    source: ["aws.ec2"],
    "detail-type": [
      "EC2 Instance State-change Notification",
      "EC2 Spot Instance Interruption Warning",
    ],
  }),
});
new aws.cloudwatch.EventTarget("Ec2InstanceEventsTarget", {
  rule: ec2Events.name,
  arn: instanceEvents.arn,
  retryPolicy: { maximumRetryAttempts: 8, maximumEventAgeInSeconds: 3600 },
  deadLetterConfig: { arn: deadLetters.arn },
});
new aws.lambda.Permission("Ec2InstanceEventsInvoke", {
  action: "lambda:InvokeFunction",
  function: instanceEvents.name,
  principal: "events.amazonaws.com",
  sourceArn: ec2Events.arn,
});
new aws.sqs.QueuePolicy("DeadLettersFromEventBridge", {
  queueUrl: deadLetters.url,
  policy: $jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: deadLetters.arn,
        Condition: { ArnEquals: { "aws:SourceArn": ec2Events.arn } },
      },
    ],
  }),
});
