import { runnerLogGroupName, stageOutputsParameter } from "@ger/core";
import { webhookUrl } from "./api";
import { instanceEvents, reaper, scaler, webhook } from "./functions";
import { kmsKeyPolicyStatements } from "./lib/kms";
import { launchTemplates } from "./runners";
import { gitlabToken, webhookSecret } from "./secrets";
import { caller, config, deployment, partition, region } from "./settings";
import { table } from "./table";

/**
 * This stage's names and ids for `doctor` and `connect`, which read them with the operator's
 * credentials: no function or runner role is given rights on it.
 */
export const stageOutputs = new aws.ssm.Parameter("StageOutputs", {
  name: stageOutputsParameter($app.stage),
  description: `${deployment} stage ${$app.stage}: outputs for npm run cli -- doctor and connect`,
  type: "String",
  tier: "Standard",
  // No secret in it, so `sst diff` may show its changes.
  insecureValue: $jsonStringify({
    deployment,
    webhookUrl,
    tableName: table.name,
    gitlabTokenSecret: gitlabToken.name,
    webhookSecret: webhookSecret.name,
    functions: {
      webhook: webhook.name,
      scaler: scaler.name,
      reaper: reaper.name,
      instanceEvents: instanceEvents.name,
    },
    launchTemplates: Object.fromEntries(
      Object.entries(launchTemplates).map(([pool, template]) => [
        pool,
        { launchTemplateId: template.id, version: template.latestVersion.apply(String) },
      ]),
    ),
  }),
});

/**
 * With kms_key_arn: the statements the operator adds to that key's policy (README, "Your own KMS
 * key"), as JSON to paste into its Statement list.
 */
export const kmsKeyPolicy = config.kms_key_arn
  ? $resolve({
      partition: partition.partition,
      region: region.region,
      account: caller.accountId,
    }).apply((where) =>
      JSON.stringify(
        kmsKeyPolicyStatements({
          ...where,
          logGroupName: config.runner_logs.enabled ? runnerLogGroupName(deployment) : undefined,
        }),
        null,
        2,
      ),
    )
  : undefined;
