/// <reference path="./.sst/platform/config.d.ts" />

// Deploys the autoscaler into your AWS account: `npx sst deploy --stage <name>` (README, "Deploy to AWS").
export default $config({
  app(input) {
    // dev, test and pr stages (alone or as a prefix: dev-alice, pr-42) are disposable: `sst remove`
    // deletes all of them. Every other stage is protected, `sst remove` refuses it, and it retains
    // its table, cache buckets and secrets; REMOVE_PROTECTED_STAGE=<stage> lifts the protection
    // for one removal (README, "Tear down").
    const stage = input?.stage ?? "";
    const disposable = /^(dev|test|pr)(-|$)/.test(stage);
    return {
      name: "gitlab-runner-autoscaler",
      home: "aws",
      removal: disposable ? "remove" : "retain",
      protect: !disposable && process.env.REMOVE_PROTECTED_STAGE !== stage,
    };
  },
  async run() {
    // First: the config is validated, and the example's placeholders refused, before any resource.
    await import("./infra/settings");
    // Then what every role and taggable resource gets, before any is declared.
    await import("./infra/transforms");
    const { table } = await import("./infra/table");
    await import("./infra/runners");
    const { reaper } = await import("./infra/functions");
    const { webhookUrl } = await import("./infra/api");
    const { dashboardLink } = await import("./infra/monitoring");
    const { gitlabToken, webhookSecret } = await import("./infra/secrets");
    const { stageOutputs, kmsKeyPolicy } = await import("./infra/outputs");
    return {
      webhookUrl,
      dashboard: dashboardLink,
      gitlabTokenSecret: gitlabToken.name,
      webhookSecret: webhookSecret.name,
      // For the CLI against this stage: TABLE_NAME=… npm run cli -- status | drain; REAPER_FUNCTION=… reap.
      tableName: table.name,
      reaperFunction: reaper.name,
      stageOutputs: stageOutputs.name,
      // With kms_key_arn only: what its key policy must also allow.
      ...(kmsKeyPolicy && { kmsKeyPolicyStatements: kmsKeyPolicy }),
      nextSteps: $interpolate`1) aws secretsmanager put-secret-value --secret-id ${gitlabToken.name} --secret-string <glpat-… with create_runner, manage_runner, read_api>
2) aws secretsmanager put-secret-value --secret-id ${webhookSecret.name} --secret-string <random token>
3) npm run cli -- connect --stage ${$app.stage} --project <id>   (or --group <id>)
4) npm run cli -- doctor --stage ${$app.stage}`,
    };
  },
});
