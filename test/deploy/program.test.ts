import { existsSync } from "node:fs";
import {
  parseAutoscalerConfig,
  parseStageOutputs,
  runnerLogGroupName,
  stageOutputsParameter,
  TAG_KEYS,
} from "@ger/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  alarmDefinitions,
  dashboardBody,
  dashboardUrl,
  type MonitoringInputs,
  metricAlarmArgs,
} from "../../infra/lib/monitoring";
import { type Decision, evaluate, type NamedPolicy } from "../support/iam-evaluate";
import { limitProblems } from "./aws-limits";
import deployConfig from "./deploy.config";
import { type Deployment, MOCK_ACCOUNT, ROOT, recordDeployment } from "./harness";
import {
  coldStart,
  type LambdaUnderTest,
  lambdaNode,
  RESERVED_BY_LAMBDA,
} from "./lambda-cold-start";
import { monitoringInputsOf } from "./monitoring-inputs";
import { named, ofType, type RecordedResource } from "./record";

/*
 * `sst deploy --stage production` run under mocks with test/deploy/deploy.config.ts, recorded
 * once: every assertion reads what the deploy would send AWS, not a copy built by hand.
 */

const STAGE = "production";
const FUNCTIONS = ["Webhook", "Scaler", "Reaper", "InstanceEvents"] as const;
const config = parseAutoscalerConfig(deployConfig);

let deployment: Deployment;
beforeAll(async () => {
  deployment = await recordDeployment({ stage: STAGE, config: "test/deploy/deploy.config.ts" });
}, 180_000);
afterAll(() => deployment?.dispose());

interface FunctionInputs {
  readonly name: string;
  readonly handler: string;
  readonly role: string;
  readonly memorySize: number;
  readonly reservedConcurrentExecutions?: number;
  readonly environment: { readonly variables: Record<string, string> };
  readonly loggingConfig: { readonly logGroup: string };
}

const resources = () => deployment.resources;
const lambda = (id: string) =>
  named(resources(), "aws:lambda/function:Function", `${id}Function`)
    .inputs as unknown as FunctionInputs;
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
const arnOf = (type: string, name: string) => String(named(resources(), type, name).outputs.arn);
/** The runners' one policy: infra attaches no managed policy to their role. */
const runnerPolicy = (): NamedPolicy => {
  const { policy } = named(resources(), "aws:iam/rolePolicy:RolePolicy", "RunnerPolicy").inputs;
  return { name: "RunnerPolicy", document: JSON.parse(String(policy)) };
};
const stageOutputs = () => named(resources(), "aws:ssm/parameter:Parameter", "StageOutputs").inputs;

const underTest = (id: string, environment = lambda(id).environment.variables): LambdaUnderTest => {
  const bundle = deployment.bundles.find((built) => built.functionID === id);
  if (!bundle) throw new Error(`${id} was not built`);
  return {
    functionName: lambda(id).name,
    taskRoot: bundle.out,
    handler: lambda(id).handler,
    environment,
    memorySize: lambda(id).memorySize,
    logGroup: lambda(id).loggingConfig.logGroup,
    region: MOCK_ACCOUNT.region,
  };
};

describe("sst deploy, run under mocks", () => {
  it("declares every resource with its inputs and bundles every function through Runtime.Build", () => {
    const functions = ofType(resources(), "aws:lambda/function:Function").map(({ name }) => name);

    expect(resources().length).toBeGreaterThan(60);
    expect(functions.sort()).toEqual(FUNCTIONS.map((id) => `${id}Function`).sort());
    expect(deployment.bundles.map(({ functionID }) => functionID).sort()).toEqual(
      [...FUNCTIONS].sort(),
    );
    for (const id of FUNCTIONS) {
      const code = named(resources(), "aws:s3/bucketObjectv2:BucketObjectv2", `${id}Code`);
      expect(existsSync(String((code.inputs.source as { "@archive": string })["@archive"]))).toBe(
        true,
      );
    }
    // SST prints its warnings (a VPC without NAT, say) while the program runs.
    expect(deployment.log).toBe("");
  });

  it("lets nothing reach a runner: its security group has no inbound rule", () => {
    const group = named(resources(), "aws:ec2/securityGroup:SecurityGroup", "RunnerSecurityGroup");
    const rules = ofType(resources(), "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");

    expect(group.inputs.ingress ?? []).toEqual([]);
    expect(rules).toEqual([]);
  });

  it.each(FUNCTIONS)("gives %s's role the statements infra wrote, as its inline policy", (id) => {
    const [policy, ...others] = policiesOf(roleOf(id));

    expect(others).toEqual([]);
    expect(policy?.document.Statement.length).toBeGreaterThan(1);
  });
});

describe("the stage's outputs, stored for doctor and connect", () => {
  it("are one Standard String parameter named for the stage, and a stack output names it", () => {
    expect(stageOutputs()).toMatchObject({
      name: stageOutputsParameter(STAGE),
      type: "String",
      tier: "Standard",
    });
    expect(deployment.outputs.stageOutputs).toBe(stageOutputsParameter(STAGE));
  });

  it("parse, and name this deploy's table, secrets, functions and launch templates", () => {
    const name = (type: string, logical: string) =>
      String(named(resources(), type, logical).outputs.name);
    const template = (pool: string) =>
      named(resources(), "aws:ec2/launchTemplate:LaunchTemplate", `Pool-${pool}`).outputs;

    const outputs = parseStageOutputs(String(stageOutputs().insecureValue), "StageOutputs");

    expect(outputs).toEqual({
      deployment: config.deployment,
      webhookUrl: deployment.outputs.webhookUrl,
      tableName: name("aws:dynamodb/table:Table", "StateTable"),
      gitlabTokenSecret: name("aws:secretsmanager/secret:Secret", "GitlabToken"),
      webhookSecret: name("aws:secretsmanager/secret:Secret", "WebhookSecret"),
      functions: {
        webhook: lambda("Webhook").name,
        scaler: lambda("Scaler").name,
        reaper: lambda("Reaper").name,
        instanceEvents: lambda("InstanceEvents").name,
      },
      launchTemplates: Object.fromEntries(
        config.pools.map((pool) => [
          pool.name,
          { launchTemplateId: template(pool.name).id, version: "1" },
        ]),
      ),
    });
    expect(outputs.webhookUrl).toMatch(/^https:\/\/\w+\.execute-api\..+\/webhook$/);
  });
});

describe("every function cold-starts on Node 24 with exactly the environment infra gives it", () => {
  it.each(FUNCTIONS)("%s: the bundle imports and exports its handler", async (id) => {
    const started = await coldStart(lambdaNode(ROOT), underTest(id));

    expect(started.output).toBe("");
    expect(started.ok).toBe(true);
  });

  it.each(FUNCTIONS)("%s: every variable is a string, and none is one Lambda reserves", (id) => {
    const { variables } = lambda(id).environment;

    for (const value of Object.values(variables)) expect(typeof value).toBe("string");
    expect(Object.keys(variables).filter((name) => RESERVED_BY_LAMBDA.includes(name))).toEqual([]);
  });

  it("sees a variable infra does not set: the scaler without LAUNCH_TEMPLATES fails, naming it", async () => {
    const { LAUNCH_TEMPLATES: _, ...withoutTemplates } = lambda("Scaler").environment.variables;
    const started = await coldStart(lambdaNode(ROOT), underTest("Scaler", withoutTemplates));

    expect(started.ok).toBe(false);
    expect(started.output).toContain("LAUNCH_TEMPLATES");
  });
});

describe("names, descriptions and sizes within AWS's limits", () => {
  it("breaks none, and knows every type the program declares", () => {
    expect(limitProblems(resources())).toEqual([]);
  });
});

describe("the alarms and the dashboard are the monitoring builders' output, unchanged", () => {
  const inputs = (): MonitoringInputs =>
    monitoringInputsOf(
      resources(),
      config.pools.map((pool) => pool.name),
      String(named(resources(), "aws:cloudwatch/logGroup:LogGroup", "RunnerLogs").inputs.name),
    );

  it("the dashboard's body is dashboardBody's for the deployed names", () => {
    const dashboard = named(resources(), "aws:cloudwatch/dashboard:Dashboard", "Dashboard");

    expect(JSON.parse(String(dashboard.inputs.dashboardBody))).toEqual(dashboardBody(inputs()));
  });

  it("each alarm is metricAlarmArgs of one alarm definition, and every definition has one", () => {
    const byName = (a: { name?: unknown }, b: { name?: unknown }) =>
      String(a.name).localeCompare(String(b.name));
    const recorded = ofType(resources(), "aws:cloudwatch/metricAlarm:MetricAlarm").map(
      (alarm) => alarm.inputs,
    );
    const built = alarmDefinitions(inputs()).map((alarm) =>
      metricAlarmArgs(alarm, { namePrefix: `${config.deployment}-${STAGE}` }),
    );

    expect(recorded.sort(byName)).toEqual(built.sort(byName));
  });
});

describe("what failed or was wrong on a real deploy", () => {
  it.each(FUNCTIONS)(
    "%s reserves no concurrency: Lambda refuses one that leaves an account under 10 unreserved",
    (id) => {
      expect(lambda(id).reservedConcurrentExecutions).toBeUndefined();
    },
  );

  it("the dashboard link opens the dashboard's region", () => {
    const { dashboardName } = named(
      resources(),
      "aws:cloudwatch/dashboard:Dashboard",
      "Dashboard",
    ).inputs;

    expect(deployment.outputs.dashboard).toBe(
      dashboardUrl(MOCK_ACCOUNT.region, String(dashboardName)),
    );
    expect(deployment.outputs.dashboard).toContain(`?region=${MOCK_ACCOUNT.region}#`);
  });

  it("a retained stage keeps its table, cache buckets and both secrets through sst remove", () => {
    const kept = (type: string) =>
      ofType(resources(), type).map((resource) => resource.retainOnDelete);

    expect(deployment.app).toMatchObject({ removal: "retain", protect: true });
    expect(kept("aws:dynamodb/table:Table")).toEqual([true]);
    expect(kept("aws:s3/bucket:Bucket")).toEqual([true]);
    expect(kept("aws:secretsmanager/secret:Secret")).toEqual([true, true]);
  });

  it.each(FUNCTIONS)(
    "%s's role may be assumed by Lambda only (SST 4.17.1 also trusts the account's root)",
    (id) => {
      const trust = JSON.parse(String(roleOf(id).inputs.assumeRolePolicy));

      expect(trust.Statement).toEqual([
        {
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ]);
    },
  );
});

describe("the operator settings at their defaults", () => {
  it("every role and the runners' instance profile have IAM's default path and no permissions boundary", () => {
    const roles = ofType(resources(), "aws:iam/role:Role");

    expect(roles).toHaveLength(7);
    for (const role of roles) {
      expect(role.inputs.path, role.name).toBe("/");
      expect(role.inputs.permissionsBoundary, role.name).toBeUndefined();
    }
    expect(
      named(resources(), "aws:iam/instanceProfile:InstanceProfile", "RunnerProfile").inputs.path,
    ).toBe("/");
  });

  it("runner_logs is on: a log group kept 30 days under CloudWatch's own key, the runners may write to it", async () => {
    const group = named(resources(), "aws:cloudwatch/logGroup:LogGroup", "RunnerLogs").inputs;
    const stream = `arn:aws:logs:${MOCK_ACCOUNT.region}:${MOCK_ACCOUNT.account}:log-group:${group.name}:log-stream:i-0123456789abcdef0`;

    expect(group).toMatchObject({
      name: runnerLogGroupName(config.deployment),
      retentionInDays: 30,
    });
    expect(group.kmsKeyId).toBeUndefined();
    expect(
      await evaluate({ policies: [runnerPolicy()], action: "logs:PutLogEvents", resource: stream }),
    ).toBe("allowed");
  });

  it("no customer key, CA, ECR or cost tag: no KMS, CA or ECR statement, no tags, no key policy output", () => {
    const actions = [runnerPolicy(), ...FUNCTIONS.flatMap((id) => policiesOf(roleOf(id)))].flatMap(
      ({ document }) =>
        (document.Statement as { Action: string | string[] }[]).flatMap(({ Action }) =>
          [Action].flat(),
        ),
    );

    expect(actions.filter((action) => /^(kms|ecr):/.test(action))).toEqual([]);
    expect(
      runnerPolicy().document.Statement.map((statement) => (statement as { Sid: string }).Sid),
    ).not.toContain("ReadCaParameters");
    expect(resources().filter((resource) => resource.inputs.tags !== undefined)).toEqual([]);
    expect(deployment.outputs).not.toHaveProperty("kmsKeyPolicyStatements");
  });
});

describe("IAM, evaluated on the recorded inline policies", () => {
  const instance = `arn:aws:ec2:${MOCK_ACCOUNT.region}:${MOCK_ACCOUNT.account}:instance/i-0123456789abcdef0`;
  const ours = { [`aws:ResourceTag/${TAG_KEYS.deployment}`]: config.deployment };
  const request = (id: string, action: string, resource: string, context = {}) =>
    evaluate({ policies: policiesOf(roleOf(id)), action, resource, context });
  const template = () => arnOf("aws:ec2/launchTemplate:LaunchTemplate", "Pool-linux-arm");

  it("the scaler may launch from a pool's template: CreateFleet, RunInstances, CreateTags", async () => {
    const tagged = { [`aws:RequestTag/${TAG_KEYS.deployment}`]: config.deployment };

    expect(await request("Scaler", "ec2:CreateFleet", template())).toBe("allowed");
    expect(
      await request("Scaler", "ec2:RunInstances", instance, {
        ...tagged,
        "ec2:LaunchTemplate": template(),
      }),
    ).toBe("allowed");
    expect(
      await request("Scaler", "ec2:CreateTags", instance, { "ec2:CreateAction": "CreateFleet" }),
    ).toBe("allowed");
  });

  it("the scaler may not run an instance from another template, nor tag one after launch", async () => {
    const foreign = `arn:aws:ec2:${MOCK_ACCOUNT.region}:${MOCK_ACCOUNT.account}:launch-template/lt-0000000000000000f`;
    const denied: Decision = "implicitly_denied";

    expect(await request("Scaler", "ec2:CreateFleet", foreign)).toBe(denied);
    expect(await request("Scaler", "ec2:CreateTags", instance, { "ec2:CreateAction": "" })).toBe(
      denied,
    );
  });

  it("the reaper may terminate an instance tagged as this deployment's, not an untagged one", async () => {
    expect(await request("Reaper", "ec2:TerminateInstances", instance, ours)).toBe("allowed");
    expect(await request("Reaper", "ec2:TerminateInstances", instance)).toBe("implicitly_denied");
    expect(
      await request("Reaper", "ec2:TerminateInstances", instance, {
        [`aws:ResourceTag/${TAG_KEYS.deployment}`]: "someone-else",
      }),
    ).toBe("implicitly_denied");
  });

  it.each([...FUNCTIONS, "Runner"])(
    "%s's role may neither read nor write the stage's outputs (the operator's credentials do)",
    async (id) => {
      const parameter = `arn:aws:ssm:${MOCK_ACCOUNT.region}:${MOCK_ACCOUNT.account}:parameter${stageOutputsParameter(STAGE)}`;
      const policies = id === "Runner" ? [runnerPolicy()] : policiesOf(roleOf(id));
      const actions = [
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:PutParameter",
        "ssm:DeleteParameter",
      ];

      const decisions = await Promise.all(
        actions.map(async (action) => [
          action,
          await evaluate({ policies, action, resource: parameter }),
        ]),
      );

      expect(Object.fromEntries(decisions)).toEqual(
        Object.fromEntries(actions.map((action) => [action, "implicitly_denied"])),
      );
    },
  );

  it("the webhook may update an item in the table and delete none", async () => {
    const table = arnOf("aws:dynamodb/table:Table", "StateTable");

    expect(await request("Webhook", "dynamodb:UpdateItem", table)).toBe("allowed");
    expect(await request("Webhook", "dynamodb:DeleteItem", table)).toBe("implicitly_denied");
  });
});
