import {
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException as DynamoDBNotFound,
  DynamoDBServiceException,
} from "@aws-sdk/client-dynamodb";
import {
  CreateFleetCommand,
  DescribeImagesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  EC2ServiceException,
  type Route,
  type RouteTable,
} from "@aws-sdk/client-ec2";
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  ResourceNotFoundException as LambdaNotFound,
} from "@aws-sdk/client-lambda";
import { HeadBucketCommand, NotFound, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException as SecretNotFound,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  NoSuchResourceException,
  ServiceQuotasClient,
} from "@aws-sdk/client-service-quotas";
import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import {
  DecodeAuthorizationMessageCommand,
  GetCallerIdentityCommand,
  STSClient,
  STSServiceException,
} from "@aws-sdk/client-sts";
import type { StageOutputs } from "@ger/core/types";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { SdkAwsAccount } from "../src/doctor/aws/sdk-account";
import type { FleetDryRun } from "../src/doctor/aws-account";

const REGION = "eu-central-1";
const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const sts = mockClient(STSClient);
const serviceQuotas = mockClient(ServiceQuotasClient);
const s3 = mockClient(S3Client);
const dynamodb = mockClient(DynamoDBClient);
const lambda = mockClient(LambdaClient);
const secretsManager = mockClient(SecretsManagerClient);
const mocks = [ec2, ssm, sts, serviceQuotas, s3, dynamodb, lambda, secretsManager];

const account = new SdkAwsAccount({
  dynamodb: new DynamoDBClient({ region: REGION }),
  ec2: new EC2Client({ region: REGION }),
  lambda: new LambdaClient({ region: REGION }),
  s3: new S3Client({ region: REGION }),
  secretsManager: new SecretsManagerClient({ region: REGION }),
  serviceQuotas: new ServiceQuotasClient({ region: REGION }),
  ssm: new SSMClient({ region: REGION }),
  sts: new STSClient({ region: REGION }),
});

beforeEach(() => {
  for (const mock of mocks) mock.reset();
});

/** An EC2 error as the SDK throws it: the EC2 error code is the exception's name. */
const ec2Error = (name: string, httpStatusCode: number, message: string) =>
  new EC2ServiceException({
    name,
    $fault: httpStatusCode < 500 ? "client" : "server",
    $metadata: { httpStatusCode },
    message,
  });

describe("SdkAwsAccount: who and where", () => {
  it("tells the caller's account and ARN, and the region the clients use", async () => {
    sts.on(GetCallerIdentityCommand).resolves({
      UserId: "AROA123456789EXAMPLE:ana",
      Account: "123456789012",
      Arn: "arn:aws:sts::123456789012:assumed-role/Developer/ana",
    });

    const identity = await account.callerIdentity();

    expect(identity).toEqual({
      account: "123456789012",
      arn: "arn:aws:sts::123456789012:assumed-role/Developer/ana",
      region: REGION,
    });
  });
});

describe("SdkAwsAccount: what a deploy left", () => {
  const outputs: StageOutputs = {
    deployment: "ci-autoscaler-prod",
    webhookUrl: "https://abc123.lambda-url.eu-central-1.on.aws/",
    tableName: "ci-autoscaler-prod-state",
    gitlabTokenSecret: "ci-autoscaler-prod/gitlab-token",
    webhookSecret: "ci-autoscaler-prod/webhook",
    functions: { scaler: "ci-autoscaler-prod-scaler", webhook: "ci-autoscaler-prod-webhook" },
    launchTemplates: { "linux-arm": { launchTemplateId: "lt-0a1b2c3d4e5f60718", version: "3" } },
  };
  const parameter = (value: string) => ({
    Parameter: {
      Name: "/gitlab-runner-autoscaler-stages/prod/outputs",
      Type: "String" as const,
      Value: value,
      Version: 1,
      ARN: "arn:aws:ssm:eu-central-1:123456789012:parameter/gitlab-runner-autoscaler-stages/prod/outputs",
      DataType: "text",
    },
  });

  it("reads a stage's outputs from its SSM parameter", async () => {
    ssm.on(GetParameterCommand).resolves(parameter(JSON.stringify(outputs)));

    const read = await account.stageOutputs("prod");

    expect(read).toEqual(outputs);
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: "/gitlab-runner-autoscaler-stages/prod/outputs",
    });
  });

  it("has no outputs for a stage never deployed", async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: "", $metadata: {} }));

    expect(await account.stageOutputs("prod")).toBeUndefined();
  });

  it("refuses garbled outputs, naming the parameter", async () => {
    ssm.on(GetParameterCommand).resolves(parameter('{"deployment": "ci-autoscaler-prod"'));

    await expect(account.stageOutputs("prod")).rejects.toThrow(
      "the SSM parameter /gitlab-runner-autoscaler-stages/prod/outputs is not JSON",
    );
  });

  it("tells a table's status and whether its stream is on, or that it is missing", async () => {
    dynamodb
      .on(DescribeTableCommand)
      .resolvesOnce({
        Table: {
          TableName: "ci-autoscaler-prod-state",
          TableStatus: "ACTIVE",
          StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
        },
      })
      .rejectsOnce(
        new DynamoDBNotFound({
          message: "Requested resource not found: Table: ci-autoscaler-dev-state not found",
          $metadata: { httpStatusCode: 400 },
        }),
      );

    expect(await account.table("ci-autoscaler-prod-state")).toEqual({
      status: "ACTIVE",
      streamEnabled: true,
    });
    expect(await account.table("ci-autoscaler-dev-state")).toBeUndefined();
  });

  it("passes on an error that is not a missing table", async () => {
    dynamodb.on(DescribeTableCommand).rejects(
      new DynamoDBServiceException({
        name: "AccessDeniedException",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
        message:
          "User: arn:aws:sts::123456789012:assumed-role/Developer/ana is not authorized to perform: dynamodb:DescribeTable",
      }),
    );

    await expect(account.table("ci-autoscaler-prod-state")).rejects.toThrow("not authorized");
  });

  it("tells a function's state, or that it is missing", async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce({
        FunctionName: "ci-autoscaler-prod-scaler",
        State: "Active",
        Environment: { Variables: { GITLAB_TOKEN_SECRET: "ci-autoscaler-prod/gitlab-token" } },
      })
      .rejectsOnce(
        new LambdaNotFound({
          message:
            "Function not found: arn:aws:lambda:eu-central-1:123456789012:function:ci-autoscaler-dev-scaler",
          $metadata: { httpStatusCode: 404 },
          Type: "User",
        }),
      );

    expect(await account.functionState("ci-autoscaler-prod-scaler")).toBe("Active");
    expect(await account.functionState("ci-autoscaler-dev-scaler")).toBeUndefined();
  });
});

describe("SdkAwsAccount: secrets", () => {
  const described = {
    ARN: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:ci-autoscaler-prod/webhook-AbCdEf",
    Name: "ci-autoscaler-prod/webhook",
  };

  it("sees a secret with a current version as set", async () => {
    secretsManager.on(DescribeSecretCommand).resolves({
      ...described,
      VersionIdsToStages: {
        "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111": ["AWSPREVIOUS"],
        "a1b2c3d4-5678-90ab-cdef-EXAMPLE22222": ["AWSCURRENT"],
      },
    });

    expect(await account.secretIsSet("ci-autoscaler-prod/webhook")).toBe(true);
  });

  it("sees a secret the deploy created without a value as not set", async () => {
    secretsManager.on(DescribeSecretCommand).resolves(described);

    expect(await account.secretIsSet("ci-autoscaler-prod/webhook")).toBe(false);
  });

  it("has no answer for a secret that does not exist", async () => {
    secretsManager.on(DescribeSecretCommand).rejects(
      new SecretNotFound({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: { httpStatusCode: 400 },
      }),
    );

    expect(await account.secretIsSet("ci-autoscaler-prod/webhook")).toBeUndefined();
  });

  it("reads a string secret, and refuses a binary one", async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ ...described, SecretString: "glpat-EXAMPLE", VersionStages: ["AWSCURRENT"] })
      .resolvesOnce({
        ...described,
        SecretBinary: new Uint8Array([1, 2, 3]),
        VersionStages: ["AWSCURRENT"],
      });

    expect(await account.readSecret("ci-autoscaler-prod/gitlab-token")).toBe("glpat-EXAMPLE");
    await expect(account.readSecret("ci-autoscaler-prod/gitlab-token")).rejects.toThrow(
      "the secret ci-autoscaler-prod/gitlab-token holds binary data",
    );
  });
});

describe("SdkAwsAccount: the fleet dry run", () => {
  const request: FleetDryRun = {
    launchTemplateId: "lt-0a1b2c3d4e5f60718",
    version: "3",
    market: "spot",
    overrides: ["t4g.large", "m7g.large"].map((instanceType) => ({
      instanceType,
      subnetId: "subnet-0a1b2c3d4e5f60718",
      imageId: "ami-0123456789abcdef0",
    })),
    tags: [{ Key: "gitlab-runner-autoscaler:deployment", Value: "ci-autoscaler-prod" }],
  };
  const ENCODED = "4bSeJ3dVzC2kD9mQ-a1b2c3d4e5f6_EXAMPLE";
  const DENIED =
    "You are not authorized to perform this operation. User: " +
    "arn:aws:sts::123456789012:assumed-role/Developer/ana is not authorized to perform: " +
    "iam:PassRole on resource: arn:aws:iam::123456789012:role/ci-autoscaler-prod-runner " +
    `because no identity-based policy allows the iam:PassRole action. Encoded authorization failure message: ${ENCODED}`;
  /** A decoded message as STS returns it (the shape of the IAM User Guide's example). */
  const decoded = (explicitDeny: boolean, action: string, resource: string) =>
    JSON.stringify({
      allowed: false,
      explicitDeny,
      matchedStatements: {
        items: explicitDeny
          ? [
              {
                statementId: "DenyLargeInstances",
                effect: "DENY",
                principals: { items: [{ value: "AROA123456789EXAMPLE" }] },
                principalGroups: { items: [] },
                actions: { items: [{ value: action }] },
                resources: { items: [{ value: "*" }] },
                conditions: { items: [] },
              },
            ]
          : [],
      },
      failures: { items: [] },
      context: {
        principal: {
          id: "AROA123456789EXAMPLE:ana",
          arn: "arn:aws:sts::123456789012:assumed-role/Developer/ana",
        },
        action,
        resource,
        conditions: { items: [] },
      },
    });

  it("sends the scaler's CreateFleet as a dry run for one instance", async () => {
    ec2
      .on(CreateFleetCommand)
      .rejects(
        ec2Error("DryRunOperation", 412, "Request would have succeeded, but DryRun flag is set."),
      );

    const answer = await account.dryRunFleet(request);

    expect(answer).toEqual({ kind: "allowed" });
    expect(ec2.commandCalls(CreateFleetCommand)[0]?.args[0].input).toEqual({
      Type: "instant",
      DryRun: true,
      TargetCapacitySpecification: {
        TotalTargetCapacity: 1,
        DefaultTargetCapacityType: "spot",
        SpotTargetCapacity: 1,
      },
      SpotOptions: { AllocationStrategy: "price-capacity-optimized" },
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: { LaunchTemplateId: "lt-0a1b2c3d4e5f60718", Version: "3" },
          Overrides: [
            {
              InstanceType: "t4g.large",
              SubnetId: "subnet-0a1b2c3d4e5f60718",
              ImageId: "ami-0123456789abcdef0",
            },
            {
              InstanceType: "m7g.large",
              SubnetId: "subnet-0a1b2c3d4e5f60718",
              ImageId: "ami-0123456789abcdef0",
            },
          ],
        },
      ],
      TagSpecifications: [
        { ResourceType: "instance", Tags: request.tags },
        { ResourceType: "volume", Tags: request.tags },
      ],
    });
  });

  it("asks for on-demand capacity in the on-demand market", async () => {
    ec2
      .on(CreateFleetCommand)
      .rejects(
        ec2Error("DryRunOperation", 412, "Request would have succeeded, but DryRun flag is set."),
      );

    await account.dryRunFleet({ ...request, market: "on-demand" });

    expect(ec2.commandCalls(CreateFleetCommand)[0]?.args[0].input).toMatchObject({
      TargetCapacitySpecification: {
        TotalTargetCapacity: 1,
        DefaultTargetCapacityType: "on-demand",
        OnDemandTargetCapacity: 1,
      },
      OnDemandOptions: { AllocationStrategy: "lowest-price" },
    });
  });

  it("reports a denial with its decoded reason: nothing allows the action on the resource", async () => {
    ec2.on(CreateFleetCommand).rejects(ec2Error("UnauthorizedOperation", 403, DENIED));
    sts.on(DecodeAuthorizationMessageCommand).resolves({
      DecodedMessage: decoded(
        false,
        "iam:PassRole",
        "arn:aws:iam::123456789012:role/ci-autoscaler-prod-runner",
      ),
    });

    const answer = await account.dryRunFleet(request);

    expect(answer).toEqual({
      kind: "denied",
      message: DENIED,
      reason:
        "no statement allows iam:PassRole on arn:aws:iam::123456789012:role/ci-autoscaler-prod-runner",
    });
    expect(sts.commandCalls(DecodeAuthorizationMessageCommand)[0]?.args[0].input).toEqual({
      EncodedMessage: ENCODED,
    });
  });

  it("names the statement of an explicit deny", async () => {
    ec2.on(CreateFleetCommand).rejects(ec2Error("UnauthorizedOperation", 403, DENIED));
    sts.on(DecodeAuthorizationMessageCommand).resolves({
      DecodedMessage: decoded(
        true,
        "ec2:RunInstances",
        "arn:aws:ec2:eu-central-1:123456789012:instance/*",
      ),
    });

    const answer = await account.dryRunFleet(request);

    expect(answer).toMatchObject({
      kind: "denied",
      reason:
        "statement DenyLargeInstances explicitly denies ec2:RunInstances on arn:aws:ec2:eu-central-1:123456789012:instance/*",
    });
  });

  it("keeps the denial without a reason when the caller may not decode it", async () => {
    ec2.on(CreateFleetCommand).rejects(ec2Error("UnauthorizedOperation", 403, DENIED));
    sts.on(DecodeAuthorizationMessageCommand).rejects(
      new STSServiceException({
        name: "AccessDenied",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
        message:
          "User: arn:aws:sts::123456789012:assumed-role/Developer/ana is not authorized to perform: sts:DecodeAuthorizationMessage because no identity-based policy allows the sts:DecodeAuthorizationMessage action",
      }),
    );

    const answer = await account.dryRunFleet(request);

    expect(answer).toStrictEqual({ kind: "denied", message: DENIED });
  });

  it("reports an unknown instance type as an invalid request, with EC2's code", async () => {
    ec2
      .on(CreateFleetCommand)
      .rejects(
        ec2Error(
          "InvalidParameterValue",
          400,
          "Value (t4g.huge) for parameter instanceType is invalid.",
        ),
      );

    const answer = await account.dryRunFleet(request);

    expect(answer).toEqual({
      kind: "invalid",
      code: "InvalidParameterValue",
      message: "Value (t4g.huge) for parameter instanceType is invalid.",
    });
  });

  it("reads the answer from the fleet's Errors when EC2 reports it there", async () => {
    const fleetError = (ErrorCode: string, ErrorMessage: string) => ({
      LaunchTemplateAndOverrides: {
        LaunchTemplateSpecification: { LaunchTemplateId: "lt-0a1b2c3d4e5f60718", Version: "3" },
      },
      Lifecycle: "spot" as const,
      ErrorCode,
      ErrorMessage,
    });
    ec2
      .on(CreateFleetCommand)
      .resolvesOnce({
        Errors: [
          fleetError("DryRunOperation", "Request would have succeeded, but DryRun flag is set."),
        ],
        Instances: [],
      })
      .resolvesOnce({
        Errors: [
          fleetError(
            "InsufficientInstanceCapacity",
            "We currently do not have sufficient capacity.",
          ),
          fleetError("UnauthorizedOperation", DENIED),
        ],
        Instances: [],
      });
    sts.on(DecodeAuthorizationMessageCommand).resolves({
      DecodedMessage: decoded(false, "iam:PassRole", "arn:aws:iam::123456789012:role/runner"),
    });

    expect(await account.dryRunFleet(request)).toEqual({ kind: "allowed" });
    expect(await account.dryRunFleet(request)).toEqual({
      kind: "denied",
      message: DENIED,
      reason: "no statement allows iam:PassRole on arn:aws:iam::123456789012:role/runner",
    });
  });

  it("passes on throttling reported in the fleet's Errors: it says nothing of the request", async () => {
    ec2.on(CreateFleetCommand).resolves({
      Errors: [
        {
          LaunchTemplateAndOverrides: {
            LaunchTemplateSpecification: { LaunchTemplateId: "lt-0a1b2c3d4e5f60718", Version: "3" },
          },
          Lifecycle: "spot",
          ErrorCode: "RequestLimitExceeded",
          ErrorMessage: "Request limit exceeded.",
        },
      ],
      Instances: [],
    });

    await expect(account.dryRunFleet(request)).rejects.toThrow(
      "CreateFleet was throttled: Request limit exceeded.",
    );
  });

  it("fails loudly when the endpoint ignored DryRun and launched", async () => {
    ec2.on(CreateFleetCommand).resolves({
      FleetId: "fleet-12345678-1234-1234-1234-123456789012",
      Errors: [],
      Instances: [{ InstanceIds: ["i-0123456789abcdef0"], Lifecycle: "spot" }],
    });

    await expect(account.dryRunFleet(request)).rejects.toThrow(
      "launched i-0123456789abcdef0: terminate them",
    );
  });

  it("passes on a server error: it says nothing of the request", async () => {
    ec2
      .on(CreateFleetCommand)
      .rejects(ec2Error("InternalError", 500, "An internal error has occurred."));

    await expect(account.dryRunFleet(request)).rejects.toThrow("An internal error has occurred.");
  });
});

describe("SdkAwsAccount: subnets and their default routes", () => {
  const VPC = "vpc-0a1b2c3d4e5f60718";
  const subnet = (id: string, zone: string, mapPublicIpOnLaunch = false) => ({
    SubnetId: id,
    VpcId: VPC,
    AvailabilityZone: zone,
    AvailabilityZoneId: `euc1-az${zone.endsWith("a") ? 2 : 3}`,
    CidrBlock: "10.0.1.0/24",
    State: "available" as const,
    MapPublicIpOnLaunch: mapPublicIpOnLaunch,
    DefaultForAz: false,
  });
  const LOCAL: Route = {
    DestinationCidrBlock: "10.0.0.0/16",
    GatewayId: "local",
    Origin: "CreateRouteTable",
    State: "active",
  };
  const table = (id: string, subnetIds: string[], defaultRoute?: Route): RouteTable => ({
    RouteTableId: id,
    VpcId: VPC,
    OwnerId: "123456789012",
    Associations:
      subnetIds.length > 0
        ? subnetIds.map((subnetId, index) => ({
            Main: false,
            RouteTableAssociationId: `rtbassoc-0${index}a1b2c3d4e5f6071`,
            RouteTableId: id,
            SubnetId: subnetId,
            AssociationState: { State: "associated" },
          }))
        : [
            {
              Main: true,
              RouteTableAssociationId: "rtbassoc-0ffffffffffffffff",
              RouteTableId: id,
              AssociationState: { State: "associated" },
            },
          ],
    Routes: defaultRoute ? [LOCAL, defaultRoute] : [LOCAL],
  });
  const toward = (target: Route, state: "active" | "blackhole" = "active"): Route => ({
    DestinationCidrBlock: "0.0.0.0/0",
    Origin: "CreateRoute",
    State: state,
    ...target,
  });

  it("follows each subnet's default route, to its VPC's main table when it has none of its own", async () => {
    ec2.on(DescribeSubnetsCommand).resolves({
      Subnets: [
        subnet("subnet-0000000000000000a", "eu-central-1a", true),
        subnet("subnet-0000000000000000b", "eu-central-1b"),
        subnet("subnet-0000000000000000c", "eu-central-1a"),
        subnet("subnet-0000000000000000d", "eu-central-1b"),
        subnet("subnet-0000000000000000e", "eu-central-1a"),
        subnet("subnet-0000000000000000f", "eu-central-1b"),
      ],
    });
    ec2
      .on(DescribeRouteTablesCommand)
      .resolvesOnce({
        RouteTables: [
          table(
            "rtb-0000000000000000a",
            ["subnet-0000000000000000a"],
            toward({ GatewayId: "igw-0a1b2c3d4e5f60718" }),
          ),
          table(
            "rtb-0000000000000000b",
            ["subnet-0000000000000000b"],
            toward({ NatGatewayId: "nat-0a1b2c3d4e5f60718" }),
          ),
          table(
            "rtb-0000000000000000c",
            ["subnet-0000000000000000c"],
            toward({ TransitGatewayId: "tgw-0a1b2c3d4e5f60718" }),
          ),
          table("rtb-0000000000000000d", ["subnet-0000000000000000d"]),
          table(
            "rtb-0000000000000000e",
            ["subnet-0000000000000000e"],
            toward({ NatGatewayId: "nat-0ffffffffffffffff" }, "blackhole"),
          ),
        ],
      })
      .resolvesOnce({
        RouteTables: [
          table("rtb-0000000000000main", [], toward({ GatewayId: "igw-0a1b2c3d4e5f60718" })),
        ],
      });

    const subnets = await account.subnets([
      "subnet-0000000000000000a",
      "subnet-0000000000000000b",
      "subnet-0000000000000000c",
      "subnet-0000000000000000d",
      "subnet-0000000000000000e",
      "subnet-0000000000000000f",
      "subnet-0999999999999999f",
    ]);

    expect(subnets.map((facts) => [facts.subnetId, facts.defaultRoute])).toEqual([
      ["subnet-0000000000000000a", { kind: "internet-gateway", target: "igw-0a1b2c3d4e5f60718" }],
      ["subnet-0000000000000000b", { kind: "nat-gateway", target: "nat-0a1b2c3d4e5f60718" }],
      ["subnet-0000000000000000c", { kind: "other", target: "tgw-0a1b2c3d4e5f60718" }],
      ["subnet-0000000000000000d", { kind: "none" }],
      ["subnet-0000000000000000e", { kind: "none" }],
      ["subnet-0000000000000000f", { kind: "internet-gateway", target: "igw-0a1b2c3d4e5f60718" }],
    ]);
    expect(subnets[0]).toEqual({
      subnetId: "subnet-0000000000000000a",
      zone: "eu-central-1a",
      vpcId: VPC,
      mapPublicIpOnLaunch: true,
      defaultRoute: { kind: "internet-gateway", target: "igw-0a1b2c3d4e5f60718" },
    });
    // An unknown id in a filter only goes unmatched; as SubnetIds it would fail the whole call.
    expect(ec2.commandCalls(DescribeSubnetsCommand)[0]?.args[0].input).toEqual({
      Filters: [
        { Name: "subnet-id", Values: expect.arrayContaining(["subnet-0999999999999999f"]) },
      ],
    });
    const [own, main] = ec2
      .commandCalls(DescribeRouteTablesCommand)
      .map((call) => call.args[0].input.Filters);
    expect(own).toEqual([
      {
        Name: "association.subnet-id",
        Values: [
          "subnet-0000000000000000a",
          "subnet-0000000000000000b",
          "subnet-0000000000000000c",
          "subnet-0000000000000000d",
          "subnet-0000000000000000e",
          "subnet-0000000000000000f",
        ],
      },
    ]);
    expect(main).toEqual([
      { Name: "vpc-id", Values: [VPC] },
      { Name: "association.main", Values: ["true"] },
    ]);
  });

  it("does not ask for main tables when every subnet has its own", async () => {
    ec2.on(DescribeSubnetsCommand).resolves({
      Subnets: [subnet("subnet-0000000000000000a", "eu-central-1a")],
    });
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        table(
          "rtb-0000000000000000a",
          ["subnet-0000000000000000a"],
          toward({ VpcPeeringConnectionId: "pcx-0a1b2c3d4e5f60718" }),
        ),
      ],
    });

    const [facts] = await account.subnets(["subnet-0000000000000000a"]);

    expect(facts?.defaultRoute).toEqual({ kind: "other", target: "pcx-0a1b2c3d4e5f60718" });
    expect(ec2.commandCalls(DescribeRouteTablesCommand)).toHaveLength(1);
  });
});

describe("SdkAwsAccount: instance types and where they are offered", () => {
  it("tells the known types' vCPUs and architectures across pages, leaving out unknown ones", async () => {
    ec2
      .on(DescribeInstanceTypesCommand)
      .resolvesOnce({
        InstanceTypes: [
          {
            InstanceType: "t4g.large",
            VCpuInfo: { DefaultVCpus: 2, DefaultCores: 2, DefaultThreadsPerCore: 1 },
            ProcessorInfo: { SupportedArchitectures: ["arm64"] },
          },
        ],
        NextToken: "page-2",
      })
      .resolvesOnce({
        InstanceTypes: [
          {
            InstanceType: "m7i.large",
            VCpuInfo: { DefaultVCpus: 2, DefaultCores: 1, DefaultThreadsPerCore: 2 },
            ProcessorInfo: { SupportedArchitectures: ["x86_64"] },
          },
        ],
      });

    const types = await account.instanceTypes(["t4g.large", "t4g.huge", "m7i.large"]);

    expect(types).toEqual([
      { instanceType: "t4g.large", vcpus: 2, architectures: ["arm64"] },
      { instanceType: "m7i.large", vcpus: 2, architectures: ["x86_64"] },
    ]);
    // The paginator reuses one input object, so the calls show its last state.
    const calls = ec2.commandCalls(DescribeInstanceTypesCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.args[0].input.Filters).toEqual([
      { Name: "instance-type", Values: ["t4g.large", "t4g.huge", "m7i.large"] },
    ]);
    expect(calls[0]?.args[0].input.InstanceTypes).toBeUndefined();
  });

  it("lists the offerings as type@zone across pages", async () => {
    ec2
      .on(DescribeInstanceTypeOfferingsCommand)
      .resolvesOnce({
        InstanceTypeOfferings: [
          {
            InstanceType: "t4g.large",
            LocationType: "availability-zone",
            Location: "eu-central-1a",
          },
        ],
        NextToken: "page-2",
      })
      .resolvesOnce({
        InstanceTypeOfferings: [
          {
            InstanceType: "t4g.large",
            LocationType: "availability-zone",
            Location: "eu-central-1b",
          },
        ],
      });

    const offered = await account.offerings(["t4g.large"], ["eu-central-1a", "eu-central-1b"]);

    expect([...offered]).toEqual(["t4g.large@eu-central-1a", "t4g.large@eu-central-1b"]);
    expect(ec2.commandCalls(DescribeInstanceTypeOfferingsCommand)).toHaveLength(2);
    expect(ec2.commandCalls(DescribeInstanceTypeOfferingsCommand)[0]?.args[0].input).toMatchObject({
      LocationType: "availability-zone",
      Filters: [
        { Name: "instance-type", Values: ["t4g.large"] },
        { Name: "location", Values: ["eu-central-1a", "eu-central-1b"] },
      ],
    });
  });
});

describe("SdkAwsAccount: the AMI", () => {
  const IMAGE = "ami-0123456789abcdef0";
  const PARAMETER =
    "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id";
  const image = {
    ImageId: IMAGE,
    Architecture: "arm64" as const,
    State: "available" as const,
    Name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20260915",
    OwnerId: "099720109477",
  };

  it("finds an AMI by id", async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [image] });

    const answer = await account.image({ id: IMAGE });

    expect(answer).toEqual({
      kind: "found",
      imageId: IMAGE,
      architecture: "arm64",
      state: "available",
    });
    expect(ec2.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toEqual({
      ImageIds: [IMAGE],
    });
  });

  it("finds an AMI through its SSM parameter", async () => {
    ssm.on(GetParameterCommand).resolves({
      Parameter: {
        Name: PARAMETER,
        Type: "String",
        Value: IMAGE,
        Version: 12,
        DataType: "aws:ec2:image",
      },
    });
    ec2.on(DescribeImagesCommand).resolves({ Images: [image] });

    const answer = await account.image({ ssm_parameter: PARAMETER });

    expect(answer).toMatchObject({ kind: "found", imageId: IMAGE });
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({ Name: PARAMETER });
  });

  it("says why an AMI is missing: unknown, malformed, or not shown", async () => {
    ec2
      .on(DescribeImagesCommand)
      .rejectsOnce(
        ec2Error("InvalidAMIID.NotFound", 400, `The image id '[${IMAGE}]' does not exist`),
      )
      .rejectsOnce(
        ec2Error("InvalidAMIID.Malformed", 400, 'Invalid id: "ami-xyz" (expecting "ami-...")'),
      )
      .resolvesOnce({ Images: [] });

    expect(await account.image({ id: IMAGE })).toEqual({
      kind: "missing",
      reason: `The image id '[${IMAGE}]' does not exist`,
    });
    expect(await account.image({ id: "ami-xyz" })).toEqual({
      kind: "missing",
      reason: 'Invalid id: "ami-xyz" (expecting "ami-...")',
    });
    expect(await account.image({ id: IMAGE })).toEqual({
      kind: "missing",
      reason: expect.stringContaining(`no image ${IMAGE}`),
    });
  });

  it("names the SSM parameter when it is missing, or when the AMI it names is", async () => {
    ssm
      .on(GetParameterCommand)
      .rejectsOnce(new ParameterNotFound({ message: "", $metadata: {} }))
      .resolvesOnce({ Parameter: { Name: PARAMETER, Type: "String", Value: IMAGE } });
    ec2
      .on(DescribeImagesCommand)
      .rejects(ec2Error("InvalidAMIID.NotFound", 400, `The image id '[${IMAGE}]' does not exist`));

    expect(await account.image({ ssm_parameter: PARAMETER })).toEqual({
      kind: "missing",
      reason: `there is no SSM parameter ${PARAMETER}`,
    });
    expect(ec2.commandCalls(DescribeImagesCommand)).toHaveLength(0);
    expect(await account.image({ ssm_parameter: PARAMETER })).toEqual({
      kind: "missing",
      reason: `${PARAMETER} names ${IMAGE}: The image id '[${IMAGE}]' does not exist`,
    });
  });
});

describe("SdkAwsAccount: quotas", () => {
  const quota = (QuotaCode: string, Value: number) => ({
    Quota: {
      ServiceCode: "ec2",
      ServiceName: "Amazon Elastic Compute Cloud (Amazon EC2)",
      QuotaCode,
      QuotaName: "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
      Value,
      Unit: "None",
      Adjustable: true,
      GlobalQuota: false,
    },
  });

  it("reads the applied value", async () => {
    serviceQuotas.on(GetServiceQuotaCommand).resolves(quota("L-34B43A08", 64));

    expect(await account.quota("ec2", "L-34B43A08")).toBe(64);
    expect(serviceQuotas.commandCalls(GetAWSDefaultServiceQuotaCommand)).toHaveLength(0);
  });

  it("falls back to AWS's default when the quota has no applied value", async () => {
    serviceQuotas
      .on(GetServiceQuotaCommand)
      .rejects(new NoSuchResourceException({ message: "", $metadata: { httpStatusCode: 400 } }));
    serviceQuotas.on(GetAWSDefaultServiceQuotaCommand).resolves(quota("L-1216C47A", 5));

    expect(await account.quota("ec2", "L-1216C47A")).toBe(5);
    expect(serviceQuotas.commandCalls(GetAWSDefaultServiceQuotaCommand)[0]?.args[0].input).toEqual({
      ServiceCode: "ec2",
      QuotaCode: "L-1216C47A",
    });
  });

  it("has no value for a quota neither knows", async () => {
    const unknown = new NoSuchResourceException({
      message: "The request failed because the specified service does not exist.",
      $metadata: { httpStatusCode: 400 },
    });
    serviceQuotas.on(GetServiceQuotaCommand).rejects(unknown);
    serviceQuotas.on(GetAWSDefaultServiceQuotaCommand).rejects(unknown);

    expect(await account.quota("EC2", "L-1216C47A")).toBeUndefined();
  });
});

describe("SdkAwsAccount: buckets", () => {
  it("tells an existing bucket, a missing one and a forbidden one apart by status", async () => {
    s3.on(HeadBucketCommand)
      .resolvesOnce({ BucketRegion: REGION, $metadata: { httpStatusCode: 200 } })
      .rejectsOnce(new NotFound({ message: "UnknownError", $metadata: { httpStatusCode: 404 } }))
      // A 403 HEAD has no body, so the SDK knows no code for it.
      .rejectsOnce(
        new S3ServiceException({
          name: "Unknown",
          $fault: "client",
          $metadata: { httpStatusCode: 403 },
          message: "UnknownError",
        }),
      );

    expect(await account.bucket("ci-autoscaler-prod-cache")).toBe("exists");
    expect(await account.bucket("ci-autoscaler-prod-cache")).toBe("missing");
    expect(await account.bucket("ci-autoscaler-prod-cache")).toBe("forbidden");
  });
});
