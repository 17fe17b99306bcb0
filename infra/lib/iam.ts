import { DURATION_PARTITION_PREFIX, SsmTokenDrop, TAG_KEYS, TOKEN_READER_TAG } from "@ger/core";
import type { AutoscalerConfig } from "@ger/core/types";

/** One IAM statement, in the shape SST's `permissions` takes and a policy document needs. */
export interface Statement {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: readonly {
    readonly test: string;
    readonly variable: string;
    readonly values: readonly string[];
  }[];
}

/** Where this deployment's resources live; ARNs are built from it. */
export interface IamContext {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly deployment: string;
  readonly tableArn: string;
  /** The SSM path of the runners' tokens, as tokenParameterPrefix gives it (leading slash). */
  readonly tokenParameterPrefix: string;
  /** The customer's key (kms_key_arn); without it, AWS managed keys, which need no statement. */
  readonly kmsKeyArn?: string;
}

type Where = Omit<IamContext, "tableArn">;

const ec2Arn = (context: Where, resource: string) =>
  `arn:${context.partition}:ec2:${context.region}:${context.account}:${resource}`;

/** AMIs and snapshots: their ARNs carry no account (public and shared ones are not ours). */
const regionalEc2Arn = (context: Where, resource: string) =>
  `arn:${context.partition}:ec2:${context.region}::${resource}`;

const parametersUnder = (context: Where, path: string) =>
  `arn:${context.partition}:ssm:${context.region}:${context.account}:parameter${path}/*`;

/** Where AWS publishes its public parameters (AMI ids among them), readable from every account. */
const AWS_PUBLIC_PARAMETERS = "/aws/service/";

/** SSM's parameter names: letters, digits, `_.-` and `/` between levels (no IAM wildcard). */
const PARAMETER_NAME = /^[a-zA-Z0-9_.\-/]+$/;

/** The pools' AMIs given as SSM parameters (`instance.ami.ssm_parameter`), as the config has them. */
export const amiParameterPaths = (
  pools: readonly Pick<AutoscalerConfig["pools"][number], "instance">[],
): string[] => pools.flatMap((pool) => pool.instance.ami.ssm_parameter ?? []);

/**
 * The parameters `resolve:ssm:` may read: AWS's public ones (their ARNs carry no account), and
 * each of the operator's own by its exact ARN in this account and region, never a pattern.
 */
const amiParameterArns = (context: Where, paths: readonly string[]): string[] => {
  const own = [...new Set(paths)].filter((path) => !path.startsWith(AWS_PUBLIC_PARAMETERS));
  for (const path of own)
    if (!PARAMETER_NAME.test(path))
      throw new Error(`AMI parameter ${JSON.stringify(path)} is no SSM parameter name`);
  return [
    `arn:${context.partition}:ssm:${context.region}::parameter${AWS_PUBLIC_PARAMETERS}*`,
    ...own
      .map(
        (path) =>
          `arn:${context.partition}:ssm:${context.region}:${context.account}:parameter${path}`,
      )
      .sort(),
  ];
};

/** Every token, waiting under its runner's name or granted under its instance's id. */
const tokenParameters = (context: Where) => parametersUnder(context, context.tokenParameterPrefix);

/** Granted tokens only: the one place a runner instance may read. */
const grantedTokenParameters = (context: Where) =>
  parametersUnder(context, SsmTokenDrop.instanceParameterPrefix(context.tokenParameterPrefix));

/** A log group's ARN, as KMS's encryption context for CloudWatch Logs names it. */
export const logGroupArn = (
  context: Pick<Where, "partition" | "region" | "account">,
  name: string,
) => `arn:${context.partition}:logs:${context.region}:${context.account}:log-group:${name}`;

/** Only what the named service asks of KMS on the caller's behalf (ssm, ec2, secretsmanager). */
const viaService = (context: Where, service: string) => ({
  test: "StringEquals",
  variable: "kms:ViaService",
  values: [`${service}.${context.region}.amazonaws.com`],
});

/** Statements on the customer's key, none without one. */
const withKey = (context: Where, statements: (keyArn: string) => Statement[]): Statement[] =>
  context.kmsKeyArn ? statements(context.kmsKeyArn) : [];

/** A secret under the customer's key: Secrets Manager decrypts it with the caller's rights. */
const secretKeyStatements = (context: Where, sid: string): Statement[] =>
  withKey(context, (key) => [
    {
      sid,
      actions: ["kms:Decrypt"],
      resources: [key],
      conditions: [viaService(context, "secretsmanager")],
    },
  ]);

const ownedByDeployment = (context: Where, key: "aws:ResourceTag" | "aws:RequestTag") => ({
  test: "StringEquals",
  variable: `${key}/${TAG_KEYS.deployment}`,
  values: [context.deployment],
});

/** The table and its index: the state every control-plane function reads and moves (no Scan: only the CLI's status lists every job). */
const tableStatement = (context: IamContext, sid: string): Statement => ({
  sid,
  actions: [
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
  ],
  resources: [context.tableArn, `${context.tableArn}/index/*`],
});

const secretStatement = (sid: string, secretArn: string): Statement => ({
  sid,
  actions: ["secretsmanager:GetSecretValue"],
  resources: [secretArn],
});

/**
 * Webhook: record job events, pipeline halts and job durations (conditional UpdateItem only),
 * read a job's durations back to add one (GetItem on those items only) and read its own secret.
 */
export const webhookStatements = (context: IamContext, webhookSecretArn: string): Statement[] => [
  {
    sid: "RecordJobEvents",
    actions: ["dynamodb:UpdateItem"],
    resources: [context.tableArn],
  },
  {
    sid: "ReadJobDurations",
    actions: ["dynamodb:GetItem"],
    resources: [context.tableArn],
    conditions: [
      {
        // The partition key of the one item a GetItem reads: duration histories, nothing else.
        test: "ForAllValues:StringLike",
        variable: "dynamodb:LeadingKeys",
        values: [`${DURATION_PARTITION_PREFIX}*`],
      },
    ],
  },
  secretStatement("ReadWebhookSecret", webhookSecretArn),
  ...secretKeyStatements(context, "DecryptWebhookSecret"),
];

/**
 * What retiring a runner needs: terminate only our instances, delete only our tokens, and store
 * the token reset for a kept registration's next runner (under the aws/ssm key, which every
 * principal of the account may encrypt with through SSM; under the customer's key, through SSM
 * only).
 */
const retireStatements = (context: IamContext): Statement[] => [
  {
    sid: "TerminateOwnInstances",
    actions: ["ec2:TerminateInstances"],
    resources: [ec2Arn(context, "instance/*")],
    conditions: [ownedByDeployment(context, "aws:ResourceTag")],
  },
  {
    sid: "KeepAndRemoveRunnerTokens",
    actions: ["ssm:PutParameter", "ssm:DeleteParameter"],
    resources: [tokenParameters(context)],
  },
  ...withKey(context, (key) => [
    {
      sid: "EncryptKeptRunnerTokens",
      // A standard SecureString is encrypted with Encrypt, an advanced one with a data key.
      actions: ["kms:Encrypt", "kms:GenerateDataKey"],
      resources: [key],
      conditions: [viaService(context, "ssm")],
    },
  ]),
];

/**
 * Scaler: create GitLab runners (token from its secret), store their tokens, and launch instances
 * only from this deployment's launch templates, only tagged as this deployment's, with only the
 * runner role.
 */
export const scalerStatements = (
  context: IamContext,
  inputs: {
    readonly gitlabTokenSecretArn: string;
    readonly launchTemplateArns: readonly string[];
    readonly runnerRoleArn: string;
    /** The table's stream, which wakes the scaler (read by Lambda's event source mapping with the function's role). */
    readonly tableStreamArn: string;
    /** The pools' AMI parameters (`amiParameterPaths`); without them, AWS's public ones only. */
    readonly amiParameterPaths?: readonly string[];
  },
): Statement[] => [
  tableStatement(context, "ReadAndMoveState"),
  {
    sid: "ReadJobDurations",
    // Lookahead reads the durations of many job names at once (no index holds them).
    actions: ["dynamodb:BatchGetItem"],
    resources: [context.tableArn],
  },
  {
    sid: "ReadTableStream",
    actions: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
    resources: [inputs.tableStreamArn],
  },
  {
    sid: "ListTableStreams",
    // Lambda's mapping asks for it; it has no resource-level permissions, so granted on a stream
    // ARN it would never match: "*" is all it takes (it lists stream ARNs, reads no records).
    actions: ["dynamodb:ListStreams"],
    resources: ["*"],
  },
  secretStatement("ReadGitlabToken", inputs.gitlabTokenSecretArn),
  {
    sid: "UseApprovedLaunchTemplates",
    // CreateFleet requires a launch template, so this alone keeps fleets to ours.
    actions: ["ec2:CreateFleet", "ec2:RunInstances"],
    resources: [...inputs.launchTemplateArns],
  },
  {
    sid: "CreateFleetsOfOwnInstancesOnly",
    // The launch's TagSpecifications are the request tags of the instance and of its volumes.
    // ec2:LaunchTemplate is no CreateFleet key (it would never match): the template is held above.
    actions: ["ec2:CreateFleet"],
    resources: [ec2Arn(context, "instance/*"), ec2Arn(context, "volume/*")],
    conditions: [ownedByDeployment(context, "aws:RequestTag")],
  },
  {
    sid: "RunInstancesFromApprovedTemplatesOnly",
    // The RunInstances EC2 makes for the fleet, checked against the caller's policy too.
    actions: ["ec2:RunInstances"],
    resources: [ec2Arn(context, "instance/*"), ec2Arn(context, "volume/*")],
    conditions: [
      ownedByDeployment(context, "aws:RequestTag"),
      { test: "ArnLike", variable: "ec2:LaunchTemplate", values: [...inputs.launchTemplateArns] },
    ],
  },
  {
    sid: "LaunchIntoSubnetsFromImages",
    // The fleet's overrides name subnet and AMI, so both actions authorize them.
    actions: ["ec2:CreateFleet", "ec2:RunInstances"],
    resources: [ec2Arn(context, "subnet/*"), regionalEc2Arn(context, "image/*")],
  },
  {
    sid: "CreateInstantFleets",
    // The fleet's ARN is only known after the call; what it launches is limited above.
    actions: ["ec2:CreateFleet"],
    resources: [ec2Arn(context, "fleet/*")],
  },
  {
    sid: "RunInstancesNetworkAndStorage",
    // What the template and the launch add: interface, security groups, spot request, AMI snapshot.
    actions: ["ec2:RunInstances"],
    resources: [
      ec2Arn(context, "network-interface/*"),
      ec2Arn(context, "security-group/*"),
      ec2Arn(context, "spot-instances-request/*"),
      regionalEc2Arn(context, "snapshot/*"),
    ],
  },
  {
    sid: "TagOnLaunchOnly",
    actions: ["ec2:CreateTags"],
    resources: [
      ec2Arn(context, "instance/*"),
      ec2Arn(context, "volume/*"),
      ec2Arn(context, "fleet/*"),
    ],
    conditions: [
      {
        test: "StringEquals",
        variable: "ec2:CreateAction",
        values: ["CreateFleet", "RunInstances"],
      },
    ],
  },
  {
    sid: "PassOnlyTheRunnerRole",
    actions: ["iam:PassRole"],
    resources: [inputs.runnerRoleArn],
    conditions: [
      { test: "StringEquals", variable: "iam:PassedToService", values: ["ec2.amazonaws.com"] },
    ],
  },
  {
    sid: "SpotAndFleetServiceLinkedRoles",
    // Created once per account by the first spot fleet; refused for any other service.
    actions: ["iam:CreateServiceLinkedRole"],
    resources: [
      `arn:${context.partition}:iam::${context.account}:role/aws-service-role/spot.amazonaws.com/*`,
      `arn:${context.partition}:iam::${context.account}:role/aws-service-role/ec2fleet.amazonaws.com/*`,
    ],
    conditions: [
      {
        test: "StringEquals",
        variable: "iam:AWSServiceName",
        values: ["spot.amazonaws.com", "ec2fleet.amazonaws.com"],
      },
    ],
  },
  {
    sid: "ResolveAmiParameters",
    // AMIs given as `resolve:ssm:` are read with the caller's rights: AWS's public parameters,
    // and only the operator's own parameters the pools name.
    actions: ["ssm:GetParameters", "ssm:GetParameter"],
    resources: amiParameterArns(context, inputs.amiParameterPaths ?? []),
  },
  {
    sid: "HandOverRunnerTokens",
    // Put under the runner's name; grant reads it back (the AWS managed key aws/ssm lets every
    // principal of the account decrypt through SSM; the customer's key is granted below),
    // creates it under the instance's id with its reader tag (tags given to PutParameter are
    // authorized as AddTagsToResource too), and deletes the runner-named one.
    actions: [
      "ssm:PutParameter",
      "ssm:GetParameter",
      "ssm:AddTagsToResource",
      "ssm:DeleteParameter",
    ],
    resources: [tokenParameters(context)],
  },
  ...secretKeyStatements(context, "DecryptGitlabToken"),
  ...withKey(context, (key) => [
    {
      sid: "EncryptAndDecryptRunnerTokens",
      // The tokens are SecureStrings under the key (KeyId): put, and read back by the grant.
      actions: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
      resources: [key],
      conditions: [viaService(context, "ssm")],
    },
    {
      sid: "EncryptRunnerVolumes",
      // The template's volumes are under the key: EC2 makes their data keys with the caller's
      // rights, and re-encrypts an AMI snapshot under another key.
      actions: [
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
      ],
      resources: [key],
      conditions: [viaService(context, "ec2")],
    },
    {
      sid: "GrantEbsTheVolumeKey",
      // EBS uses the key for an attached volume through a grant EC2 creates for it.
      actions: ["kms:CreateGrant"],
      resources: [key],
      conditions: [
        viaService(context, "ec2"),
        { test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] },
      ],
    },
  ]),
];

/** EC2 events: retire the event's runner (GitLab through its token), nothing else. */
export const instanceEventsStatements = (
  context: IamContext,
  gitlabTokenSecretArn: string,
): Statement[] => [
  tableStatement(context, "ReadAndMoveState"),
  secretStatement("ReadGitlabToken", gitlabTokenSecretArn),
  ...secretKeyStatements(context, "DecryptGitlabToken"),
  ...retireStatements(context),
  {
    sid: "DescribeInstances",
    // Terminate looks at an instance's deployment tag first (and the reaper lists instances to
    // find orphans). DescribeInstances has no resource-level permissions: "*" is all it takes.
    actions: ["ec2:DescribeInstances"],
    resources: ["*"],
  },
];

/** Reaper: the same retirement and instance listing (reconciliation is GitLab's API only). */
export const reaperStatements = (context: IamContext, gitlabTokenSecretArn: string): Statement[] =>
  instanceEventsStatements(context, gitlabTokenSecretArn);

/** The pools' S3 caches: objects read and written, buckets listed. */
const cacheStatements = (cacheBucketArns: readonly string[]): Statement[] =>
  cacheBucketArns.length > 0
    ? [
        {
          sid: "RunnerCacheObjects",
          actions: ["s3:GetObject", "s3:PutObject"],
          resources: cacheBucketArns.map((arn) => `${arn}/*`),
        },
        { sid: "RunnerCacheList", actions: ["s3:ListBucket"], resources: [...cacheBucketArns] },
      ]
    : [];

/**
 * What SSM Session Manager's agent calls: register the instance, open the session's channels,
 * fetch its messages. Named actions only: no parameter, document or association is read.
 */
const sessionManagerStatements = (context: Where): Statement[] => [
  {
    sid: "SessionManagerRegisterInstance",
    actions: ["ssm:UpdateInstanceInformation"],
    resources: [ec2Arn(context, "instance/*")],
  },
  {
    sid: "SessionManagerChannels",
    // These have no resource-level permissions: "*" is all they take.
    actions: [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
    ],
    resources: ["*"],
  },
];

type CaCertificate = AutoscalerConfig["ca_certificates"][number];

/** IAM reads `*`, `?` and `${…}` in a Resource as patterns: such a key would grant more than itself. */
const exactly = (resource: string) => {
  if (/[*?]|\$\{/.test(resource))
    throw new Error(`ca_certificates: ${resource} holds *, ? or \${, which IAM reads as a pattern`);
  return resource;
};

/** The CAs' SSM parameters and S3 objects, each by its ARN (in the instance's region, as it reads them). */
const caStatements = (context: Where, certificates: readonly CaCertificate[]): Statement[] => {
  const parameters = certificates.flatMap((ca) =>
    "ssm_parameter" in ca
      ? [
          `arn:${context.partition}:ssm:${context.region}:${context.account}:parameter${ca.ssm_parameter}`,
        ]
      : [],
  );
  const objects = certificates.flatMap((ca) =>
    "s3" in ca ? [exactly(`arn:${context.partition}:s3:::${ca.s3.slice("s3://".length)}`)] : [],
  );
  return [
    ...(parameters.length > 0
      ? [{ sid: "ReadCaParameters", actions: ["ssm:GetParameter"], resources: parameters }]
      : []),
    ...(objects.length > 0
      ? [{ sid: "ReadCaObjects", actions: ["s3:GetObject"], resources: objects }]
      : []),
  ];
};

/** docker-credential-ecr-login: a registry token, then this account's and region's repositories, read only. */
const ecrPullStatements = (context: Where): Statement[] => [
  {
    sid: "EcrAuthorizationToken",
    // No resource-level permissions: "*" is all it takes (the token's rights are the role's).
    actions: ["ecr:GetAuthorizationToken"],
    resources: ["*"],
  },
  {
    sid: "EcrPullImages",
    actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
    resources: [`arn:${context.partition}:ecr:${context.region}:${context.account}:repository/*`],
  },
];

/**
 * The AWS managed policies the runner role has: none. Their allows would add to the inline
 * statements' (AmazonSSMManagedInstanceCore reads every parameter); the role is evaluated with
 * them from AWS's published JSON (test/infra/aws-managed-policies/).
 */
export const runnerManagedPolicies: readonly string[] = [];

/**
 * Runner instances: read and delete their own token only. The scaler grants a token by creating
 * it under the instance's id, tagged with the ARN of the one instance allowed to read it;
 * `ec2:SourceInstanceARN` is the ARN of the instance whose role credentials sign the request.
 * Tokens still waiting under a runner's name are outside the resource, whatever their tags. The
 * cache buckets, when pools name any; Session Manager's agent, when the config opts in; its own
 * log streams (runner_logs), the extra CAs (ca_certificates), ECR pulls (ecr_credential_helper)
 * and, under the customer's key, decryption through SSM (its token, the CA parameters).
 */
export const runnerStatements = (
  context: Where,
  inputs: {
    readonly cacheBucketArns?: readonly string[];
    readonly sessionManager?: boolean;
    /** The runner log group (runnerLogGroupName); none when runner_logs is off. */
    readonly logGroupName?: string;
    readonly caCertificates?: readonly CaCertificate[];
    /** Whether any pool pulls from ECR with the instance role. */
    readonly ecrPull?: boolean;
  } = {},
): Statement[] => [
  {
    sid: "ReadOwnTokenOnly",
    actions: ["ssm:GetParameter", "ssm:DeleteParameter"],
    resources: [grantedTokenParameters(context)],
    conditions: [
      {
        test: "StringEquals",
        variable: `ssm:resourceTag/${TOKEN_READER_TAG}`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM's syntax, on purpose.
        values: ["${ec2:SourceInstanceARN}"],
      },
    ],
  },
  ...cacheStatements(inputs.cacheBucketArns ?? []),
  ...(inputs.sessionManager ? sessionManagerStatements(context) : []),
  ...(inputs.logGroupName
    ? [
        {
          sid: "ShipOwnLogs",
          // Streams are named by instance id, which IAM cannot tie to the caller: any stream of
          // the one group, and no read.
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [`${logGroupArn(context, inputs.logGroupName)}:log-stream:*`],
        },
      ]
    : []),
  ...caStatements(context, inputs.caCertificates ?? []),
  ...(inputs.ecrPull ? ecrPullStatements(context) : []),
  ...withKey(context, (key) => [
    {
      sid: "DecryptThroughSsm",
      // Through SSM only, where the role reads nothing but its token and the CA parameters.
      actions: ["kms:Decrypt"],
      resources: [key],
      conditions: [viaService(context, "ssm")],
    },
  ]),
];

/** The statements as an IAM policy document (for roles SST does not create). */
export const policyDocument = (statements: readonly Statement[]) => ({
  Version: "2012-10-17",
  Statement: statements.map((statement) => ({
    Sid: statement.sid,
    Effect: "Allow",
    Action: [...statement.actions],
    Resource: [...statement.resources],
    ...(statement.conditions && {
      Condition: Object.fromEntries(
        [...new Set(statement.conditions.map((condition) => condition.test))].map((test) => [
          test,
          Object.fromEntries(
            (statement.conditions ?? [])
              .filter((c) => c.test === test)
              .map((c) => [c.variable, [...c.values]]),
          ),
        ]),
      ),
    }),
  })),
});

/** The statements as SST function permissions. */
export const functionPermissions = (statements: readonly Statement[]) =>
  statements.map(({ actions, resources, conditions }) => ({
    actions: [...actions],
    resources: [...resources],
    ...(conditions && {
      conditions: conditions.map((condition) => ({ ...condition, values: [...condition.values] })),
    }),
  }));
