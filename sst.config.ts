/// <reference path="./.sst/platform/config.d.ts" />

// Deploys the autoscaler into your AWS account: `npx sst deploy --stage <name>` (README, "Deploy to AWS").
export default $config({
  app(input) {
    return {
      name: "gitlab-runner-autoscaler",
      home: "aws",
      // Production keeps its table and secrets on `sst remove`; other stages clean up completely.
      removal: input?.stage === "production" ? "retain" : "remove",
      protect: input?.stage === "production",
    };
  },
  async run() {
    const { table } = await import("./infra/table");
    await import("./infra/runners");
    const { reaper } = await import("./infra/functions");
    const { webhookUrl } = await import("./infra/api");
    const { dashboard } = await import("./infra/monitoring");
    const { gitlabToken, webhookSecret } = await import("./infra/secrets");
    return {
      webhookUrl,
      dashboard: $interpolate`https://console.aws.amazon.com/cloudwatch/home#dashboards:name=${dashboard.dashboardName}`,
      gitlabTokenSecret: gitlabToken.name,
      webhookSecret: webhookSecret.name,
      // For the CLI against this stage: TABLE_NAME=… npm run cli -- status | drain; REAPER_FUNCTION=… reap.
      tableName: table.name,
      reaperFunction: reaper.name,
      nextSteps: $interpolate`1) aws secretsmanager put-secret-value --secret-id ${gitlabToken.name} --secret-string <glpat-… with create_runner, manage_runner, read_api>
2) aws secretsmanager put-secret-value --secret-id ${webhookSecret.name} --secret-string <random token>
3) GitLab → project or group → Settings → Webhooks → Add: URL ${webhookUrl}, Secret token = step 2, Trigger: Job events only, SSL verification on.`,
    };
  },
});
