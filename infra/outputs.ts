import { stageOutputsParameter } from "@ger/core";
import { webhookUrl } from "./api";
import { instanceEvents, reaper, scaler, webhook } from "./functions";
import { launchTemplates } from "./runners";
import { gitlabToken, webhookSecret } from "./secrets";
import { deployment } from "./settings";
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
