import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAutoscalerConfig, runnerLogGroupName, TAG_KEYS } from "@ger/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kmsKeyPolicyStatements } from "../../infra/lib/kms";
import { dashboardBody } from "../../infra/lib/monitoring";
import { evaluateKeyUse, keyPolicy } from "../infra/key-policy-evaluate";
import { evaluate, type NamedPolicy } from "../support/iam-evaluate";
import { limitProblems } from "./aws-limits";
import noLogsInput from "./deploy-no-runner-logs.config";
import operatorInput from "./deploy-operator.config";
import { type Deployment, MOCK_ACCOUNT, ROOT, recordDeployment } from "./harness";
import { coldStart, lambdaNode } from "./lambda-cold-start";
import { monitoringInputsOf } from "./monitoring-inputs";
import { named, ofType, type RecordedResource } from "./record";

/*
 * `sst deploy` under mocks with every operator setting on (test/deploy/deploy-operator.config.ts),
 * and once more with runner_logs off: what the settings add to what the deploy would send AWS.
 */

const STAGE = "production";
const FUNCTIONS = ["Webhook", "Scaler", "Reaper", "InstanceEvents"] as const;
const config = parseAutoscalerConfig(operatorInput);
const KEY = config.kms_key_arn ?? "";
const LOG_GROUP = runnerLogGroupName(config.deployment);

let deployed: Deployment;
let withoutLogs: Deployment;
beforeAll(async () => {
  [deployed, withoutLogs] = await Promise.all([
    recordDeployment({ stage: STAGE, config: "test/deploy/deploy-operator.config.ts" }),
    recordDeployment({ stage: STAGE, config: "test/deploy/deploy-no-runner-logs.config.ts" }),
  ]);
}, 240_000);
afterAll(() => {
  deployed?.dispose();
  withoutLogs?.dispose();
});

const resources = () => deployed.resources;
const lambda = (id: string, from = resources()) =>
  named(from, "aws:lambda/function:Function", `${id}Function`).inputs as {
    name: string;
    role: string;
    handler: string;
    memorySize: number;
    environment: { variables: Record<string, string> };
    loggingConfig: { logGroup: string };
  };
const roleOf = (id: string) => {
  const role = ofType(resources(), "aws:iam/role:Role").find(
    (candidate) => candidate.outputs.arn === lambda(id).role,
  );
  if (!role) throw new Error(`no role for ${id}`);
  return role;
};
const policiesOf = (role: RecordedResource): NamedPolicy[] =>
  ((role.inputs.inlinePolicies ?? []) as { name: string; policy: string }[]).map(
    ({ name, policy }) => ({ name, document: JSON.parse(policy) }),
  );
const runnerPolicy = (from = resources()): NamedPolicy => ({
  name: "RunnerPolicy",
  document: JSON.parse(
    String(named(from, "aws:iam/rolePolicy:RolePolicy", "RunnerPolicy").inputs.policy),
  ),
});
const arn = (service: string, resource: string) =>
  `arn:aws:${service}:${MOCK_ACCOUNT.region}:${MOCK_ACCOUNT.account}:${resource}`;
const via = (service: string) => ({
  "kms:ViaService": `${service}.${MOCK_ACCOUNT.region}.amazonaws.com`,
});

const PULUMI_AWS = join(ROOT, ".sst/platform/node_modules/@pulumi/aws");
/** Whether the AWS provider's SDK gives the type a `tags` input: its own source says. */
const takesTags = (type: string) => {
  const [, module = "", file = ""] = /^aws:(\w+)\/(\w+):\w+$/.exec(type) ?? [];
  const source = readFileSync(join(PULUMI_AWS, module, `${file}.js`), "utf8");
  return source.includes('resourceInputs["tags"] = args');
};
const S3_OBJECTS = ["aws:s3/bucketObjectv2:BucketObjectv2"];

describe("sst deploy with every operator setting, under mocks", () => {
  it("runs through, prints nothing, and keeps within AWS's limits", () => {
    expect(deployed.log).toBe("");
    expect(limitProblems(resources())).toEqual([]);
  });

  it.each(FUNCTIONS)("%s cold-starts with the settings' config bundled", async (id) => {
    const bundle = deployed.bundles.find((built) => built.functionID === id);
    const started = await coldStart(lambdaNode(ROOT), {
      functionName: lambda(id).name,
      taskRoot: bundle?.out ?? "",
      handler: lambda(id).handler,
      environment: lambda(id).environment.variables,
      memorySize: lambda(id).memorySize,
      logGroup: lambda(id).loggingConfig.logGroup,
      region: MOCK_ACCOUNT.region,
    });

    expect(started.output).toBe("");
    expect(started.ok).toBe(true);
  });
});

describe("role_permissions_boundary and role_path", () => {
  it("are on every IAM role of the plan, SST's function and schedule roles too, and the instance profile's path", () => {
    const roles = ofType(resources(), "aws:iam/role:Role");

    expect(roles.map(({ name }) => name).sort()).toEqual([
      "InstanceEventsRole",
      "ReaperRole",
      "ReaperScheduleRole",
      "RunnerRole",
      "ScalerRole",
      "ScalerScheduleRole",
      "WebhookRole",
    ]);
    for (const role of roles)
      expect(role.inputs, role.name).toMatchObject({
        path: "/ci/runners/",
        permissionsBoundary: config.role_permissions_boundary,
      });
    expect(
      named(resources(), "aws:iam/instanceProfile:InstanceProfile", "RunnerProfile").inputs.path,
    ).toBe("/ci/runners/");
  });

  it("the scaler passes the runner role by its ARN with the path", async () => {
    const runnerRole = String(named(resources(), "aws:iam/role:Role", "RunnerRole").outputs.arn);
    const pass = (resource: string) =>
      evaluate({
        policies: policiesOf(roleOf("Scaler")),
        action: "iam:PassRole",
        resource,
        context: { "iam:PassedToService": "ec2.amazonaws.com" },
      });

    expect(runnerRole).toContain(":role/ci/runners/");
    expect(await pass(runnerRole)).toBe("allowed");
    expect(await pass(runnerRole.replace("/ci/runners/", "/"))).toBe("implicitly_denied");
  });
});

describe("tags", () => {
  it("are on every resource the AWS provider can tag, and on no other", () => {
    const aws = resources().filter(
      (resource) => resource.custom && resource.type.startsWith("aws:"),
    );
    const taggable = aws.filter(
      (resource) => takesTags(resource.type) && !S3_OBJECTS.includes(resource.type),
    );

    expect(taggable.length).toBeGreaterThan(40);
    for (const resource of taggable)
      expect(resource.inputs.tags, `${resource.type} ${resource.name}`).toEqual(config.tags);
    for (const resource of aws.filter((candidate) => !taggable.includes(candidate)))
      expect(resource.inputs.tags, `${resource.type} ${resource.name}`).toBeUndefined();
  });

  it("leave out the functions' code objects, which S3 tags 10 at most and bills by bucket", () => {
    expect(S3_OBJECTS.every(takesTags)).toBe(true);
    expect(ofType(resources(), S3_OBJECTS[0] ?? "").length).toBeGreaterThan(0);
  });

  it("leave the scaler's launch allowed beside the deployment tag, and refused without it", async () => {
    const instance = arn("ec2", "instance/i-0123456789abcdef0");
    const launch = (tags: Record<string, string>) =>
      evaluate({
        policies: policiesOf(roleOf("Scaler")),
        action: "ec2:CreateFleet",
        resource: instance,
        context: Object.fromEntries(
          Object.entries(tags).map(([key, value]) => [`aws:RequestTag/${key}`, value]),
        ),
      });

    expect(await launch({ [TAG_KEYS.deployment]: config.deployment, ...config.tags })).toBe(
      "allowed",
    );
    expect(await launch(config.tags)).toBe("implicitly_denied");
  });
});

describe("runner_logs and kms_key_arn", () => {
  it("make the runner log group, kept 90 days, under the customer's key", () => {
    expect(named(resources(), "aws:cloudwatch/logGroup:LogGroup", "RunnerLogs").inputs).toEqual({
      name: LOG_GROUP,
      retentionInDays: 90,
      kmsKeyId: KEY,
      tags: config.tags,
    });
  });

  it("put both secrets and every pool's volumes under the key, with the pool's disk settings", () => {
    const template = (pool: string) =>
      named(resources(), "aws:ec2/launchTemplate:LaunchTemplate", `Pool-${pool}`).inputs as {
        blockDeviceMappings: { ebs: Record<string, unknown> }[];
      };

    for (const secret of ofType(resources(), "aws:secretsmanager/secret:Secret"))
      expect(secret.inputs.kmsKeyId, secret.name).toBe(KEY);
    for (const pool of config.pools)
      expect(template(pool.name).blockDeviceMappings[0]?.ebs).toMatchObject({
        encrypted: "true",
        kmsKeyId: KEY,
      });
    expect(template("linux-arm").blockDeviceMappings[0]?.ebs).toMatchObject({
      volumeType: "gp3",
      iops: 6000,
      throughput: 500,
    });
  });

  it("give the runners a user-data that ships to the log group and fetches the CAs", () => {
    const userData = Buffer.from(
      String(
        named(resources(), "aws:ec2/launchTemplate:LaunchTemplate", "Pool-linux-arm").inputs
          .userData,
      ),
      "base64",
    ).toString("utf8");

    expect(userData).toContain(LOG_GROUP);
    expect(userData).toContain("/acme/ca/root.pem");
    expect(userData).toContain("acme-pki-eu-central-1.s3.");
    expect(userData).toContain("docker-credential-ecr-login");
  });

  it("output the key policy statements for this account, region and log group", () => {
    expect(JSON.parse(String(deployed.outputs.kmsKeyPolicyStatements))).toEqual(
      kmsKeyPolicyStatements({ ...MOCK_ACCOUNT, logGroupName: LOG_GROUP }),
    );
  });

  it("the dashboard shows the runner boot failures and the instance hours", () => {
    const dashboard = named(resources(), "aws:cloudwatch/dashboard:Dashboard", "Dashboard");
    const body = JSON.parse(String(dashboard.inputs.dashboardBody));
    const inputs = monitoringInputsOf(
      resources(),
      config.pools.map((pool) => pool.name),
      LOG_GROUP,
    );

    expect(body).toEqual(dashboardBody(inputs));
    expect(
      body.widgets.map((widget: { properties: { title: string } }) => widget.properties.title),
    ).toEqual(expect.arrayContaining(["Runner boot failures", "Instance hours by pool"]));
  });
});

describe("the recorded policies, evaluated", () => {
  const stream = (group: string) =>
    arn("logs", `log-group:${group}:log-stream:i-0123456789abcdef0`);
  const runner = (action: string, resource: string) =>
    evaluate({ policies: [runnerPolicy()], action, resource });
  const withKey = (id: string, action: string, context: Record<string, string>) =>
    evaluateKeyUse({
      action,
      keyPolicy: keyPolicy(kmsKeyPolicyStatements({ ...MOCK_ACCOUNT, logGroupName: LOG_GROUP })),
      policies: id === "Runner" ? [runnerPolicy()] : policiesOf(roleOf(id)),
      key: KEY,
      context,
    });

  it("a runner ships logs to its group, reads the CAs, pulls from ECR; nothing beside", async () => {
    expect(await runner("logs:PutLogEvents", stream(LOG_GROUP))).toBe("allowed");
    expect(await runner("logs:PutLogEvents", stream(lambda("Scaler").loggingConfig.logGroup))).toBe(
      "implicitly_denied",
    );
    expect(await runner("ssm:GetParameter", arn("ssm", "parameter/acme/ca/root.pem"))).toBe(
      "allowed",
    );
    expect(await runner("ssm:GetParameter", arn("ssm", "parameter/acme/ca/other.pem"))).toBe(
      "implicitly_denied",
    );
    expect(
      await runner("s3:GetObject", "arn:aws:s3:::acme-pki-eu-central-1/ca/intermediate.pem"),
    ).toBe("allowed");
    expect(await runner("ecr:GetAuthorizationToken", "*")).toBe("allowed");
    expect(await runner("ecr:PutImage", arn("ecr", "repository/ci/node"))).toBe(
      "implicitly_denied",
    );
  });

  it.each([
    ["Runner", "kms:Decrypt", via("ssm"), "allowed"],
    ["Runner", "kms:Decrypt", {}, "implicitly_denied"],
    ["Webhook", "kms:Decrypt", via("secretsmanager"), "allowed"],
    ["Webhook", "kms:Decrypt", via("ssm"), "implicitly_denied"],
    ["Scaler", "kms:Encrypt", via("ssm"), "allowed"],
    [
      "Scaler",
      "kms:CreateGrant",
      { ...via("ec2"), "kms:GrantIsForAWSResource": "true" },
      "allowed",
    ],
    ["Scaler", "kms:CreateGrant", via("ec2"), "implicitly_denied"],
    ["Reaper", "kms:Encrypt", via("ssm"), "allowed"],
    ["InstanceEvents", "kms:Decrypt", via("ssm"), "implicitly_denied"],
  ] as const)("%s: %s with %o is %s", async (id, action, context, decision) => {
    expect(await withKey(id, action, context)).toBe(decision);
  });
});

describe("runner_logs off", () => {
  const recorded = () => withoutLogs.resources;

  it("makes no runner log group and gives the runners no logs statement", () => {
    const groups = ofType(recorded(), "aws:cloudwatch/logGroup:LogGroup").map(
      (group) => group.inputs.name,
    );
    const actions = (runnerPolicy(recorded()).document.Statement as { Action: string[] }[]).flatMap(
      (statement) => statement.Action,
    );

    expect(groups).not.toContain(runnerLogGroupName(parseAutoscalerConfig(noLogsInput).deployment));
    expect(actions.filter((action) => action.startsWith("logs:"))).toEqual([]);
  });

  it("has no log widget on the dashboard, and no CloudWatch Logs statement in the key policy", () => {
    const dashboard = named(recorded(), "aws:cloudwatch/dashboard:Dashboard", "Dashboard");
    const titles = JSON.parse(String(dashboard.inputs.dashboardBody)).widgets.map(
      (widget: { properties: { title: string } }) => widget.properties.title,
    );

    expect(titles).not.toContain("Runner boot failures");
    expect(JSON.parse(String(withoutLogs.outputs.kmsKeyPolicyStatements))).toEqual(
      kmsKeyPolicyStatements(MOCK_ACCOUNT),
    );
  });
});
