import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeImagesCommand,
  EC2Client,
  paginateDescribeInstanceTypeOfferings,
  paginateDescribeInstanceTypes,
} from "@aws-sdk/client-ec2";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ServiceQuotasClient,
} from "@aws-sdk/client-service-quotas";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { ConfigurationError, parseStageOutputs, stageOutputsParameter } from "@ger/core";
import type { PoolConfig } from "@ger/core/types";
import type {
  AwsAccount,
  CallerIdentity,
  DryRunAnswer,
  FleetDryRun,
  ImageAnswer,
  InstanceTypeFacts,
  StageOutputs,
  SubnetFacts,
  TableFacts,
} from "../aws-account";
import { dryRunFleet } from "./fleet-dry-run";
import { collectPages, errorCode, httpStatus, undefinedOn } from "./sdk-calls";
import { readSubnets } from "./subnet-facts";

/** The SDK clients the account is read through, all for the same region and credentials. */
export interface AwsClients {
  readonly dynamodb: DynamoDBClient;
  readonly ec2: EC2Client;
  readonly lambda: LambdaClient;
  readonly s3: S3Client;
  readonly secretsManager: SecretsManagerClient;
  readonly serviceQuotas: ServiceQuotasClient;
  readonly ssm: SSMClient;
  readonly sts: STSClient;
}

/** How each service says "no such thing". */
const NOT_FOUND = {
  resource: ["ResourceNotFoundException"],
  parameter: ["ParameterNotFound"],
  quota: ["NoSuchResourceException"],
  image: ["InvalidAMIID.NotFound", "InvalidAMIID.Malformed"],
};

/** The secret version a plain read returns; a secret the deploy created empty has none. */
const CURRENT_STAGE = "AWSCURRENT";

/** The account as the AWS SDK shows it to the caller's credentials. */
export class SdkAwsAccount implements AwsAccount {
  constructor(private readonly clients: AwsClients) {}

  /** Closes every client's sockets, so the CLI exits at once. */
  destroy(): void {
    for (const client of Object.values(this.clients)) client.destroy();
  }

  async callerIdentity(): Promise<CallerIdentity> {
    const { Account, Arn } = await this.clients.sts.send(new GetCallerIdentityCommand({}));
    return {
      account: Account ?? "",
      arn: Arn ?? "",
      region: await this.clients.ec2.config.region(),
    };
  }

  async stageOutputs(stage: string): Promise<StageOutputs | undefined> {
    const name = stageOutputsParameter(stage);
    const value = await this.parameterValue(name);
    return value === undefined ? undefined : parseStageOutputs(value, `the SSM parameter ${name}`);
  }

  async table(tableName: string): Promise<TableFacts | undefined> {
    const described = await undefinedOn(NOT_FOUND.resource, () =>
      this.clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName })),
    );
    if (!described) return undefined;
    return {
      status: described.Table?.TableStatus ?? "UNKNOWN",
      streamEnabled: described.Table?.StreamSpecification?.StreamEnabled ?? false,
    };
  }

  /** Only the state is kept: the configuration also holds the function's environment values. */
  async functionState(functionName: string): Promise<string | undefined> {
    const configuration = await undefinedOn(NOT_FOUND.resource, () =>
      this.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
    );
    return configuration && (configuration.State ?? "Unknown");
  }

  async secretIsSet(secretId: string): Promise<boolean | undefined> {
    const secret = await undefinedOn(NOT_FOUND.resource, () =>
      this.clients.secretsManager.send(new DescribeSecretCommand({ SecretId: secretId })),
    );
    if (!secret) return undefined;
    return Object.values(secret.VersionIdsToStages ?? {}).some((stages) =>
      stages.includes(CURRENT_STAGE),
    );
  }

  async readSecret(secretId: string): Promise<string> {
    const { SecretString } = await this.clients.secretsManager.send(
      new GetSecretValueCommand({ SecretId: secretId }),
    );
    if (SecretString === undefined)
      throw new ConfigurationError(`the secret ${secretId} holds binary data, not a string`);
    return SecretString;
  }

  dryRunFleet(request: FleetDryRun): Promise<DryRunAnswer> {
    return dryRunFleet(this.clients, request);
  }

  subnets(subnetIds: readonly string[]): Promise<SubnetFacts[]> {
    return readSubnets(this.clients.ec2, subnetIds);
  }

  /** The types go in a filter: as InstanceTypes, one unknown type would fail the whole call. */
  async instanceTypes(types: readonly string[]): Promise<InstanceTypeFacts[]> {
    if (types.length === 0) return [];
    const infos = await collectPages(
      paginateDescribeInstanceTypes(
        { client: this.clients.ec2 },
        { Filters: [{ Name: "instance-type", Values: [...types] }] },
      ),
      (page) => page.InstanceTypes,
    );
    return infos.flatMap((info) =>
      info.InstanceType && types.includes(info.InstanceType)
        ? [
            {
              instanceType: info.InstanceType,
              vcpus: info.VCpuInfo?.DefaultVCpus ?? 0,
              architectures: info.ProcessorInfo?.SupportedArchitectures ?? [],
            },
          ]
        : [],
    );
  }

  async offerings(
    types: readonly string[],
    zones: readonly string[],
  ): Promise<ReadonlySet<string>> {
    if (types.length === 0 || zones.length === 0) return new Set();
    const offered = await collectPages(
      paginateDescribeInstanceTypeOfferings(
        { client: this.clients.ec2 },
        {
          LocationType: "availability-zone",
          Filters: [
            { Name: "instance-type", Values: [...types] },
            { Name: "location", Values: [...zones] },
          ],
        },
      ),
      (page) => page.InstanceTypeOfferings,
    );
    return new Set(offered.map((offering) => `${offering.InstanceType}@${offering.Location}`));
  }

  async image(ami: PoolConfig["instance"]["ami"]): Promise<ImageAnswer> {
    const parameter = ami.ssm_parameter;
    if (parameter === undefined) return this.imageById(ami.id ?? "");
    const imageId = await this.parameterValue(parameter);
    if (imageId === undefined)
      return { kind: "missing", reason: `there is no SSM parameter ${parameter}` };
    const image = await this.imageById(imageId);
    return image.kind === "missing"
      ? { kind: "missing", reason: `${parameter} names ${imageId}: ${image.reason}` }
      : image;
  }

  /** The applied value; a quota never raised may have none, then AWS's default stands. */
  async quota(serviceCode: string, quotaCode: string): Promise<number | undefined> {
    const request = { ServiceCode: serviceCode, QuotaCode: quotaCode };
    const applied = await undefinedOn(NOT_FOUND.quota, () =>
      this.clients.serviceQuotas.send(new GetServiceQuotaCommand(request)),
    );
    if (applied?.Quota?.Value !== undefined) return applied.Quota.Value;
    const standard = await undefinedOn(NOT_FOUND.quota, () =>
      this.clients.serviceQuotas.send(new GetAWSDefaultServiceQuotaCommand(request)),
    );
    return standard?.Quota?.Value;
  }

  /** HeadBucket answers without a body, so only the status tells missing from forbidden. */
  async bucket(name: string): Promise<"exists" | "missing" | "forbidden"> {
    try {
      await this.clients.s3.send(new HeadBucketCommand({ Bucket: name }));
      return "exists";
    } catch (error) {
      if (httpStatus(error) === 404 || errorCode(error) === "NotFound") return "missing";
      if (httpStatus(error) === 403) return "forbidden";
      throw error;
    }
  }

  private async parameterValue(name: string): Promise<string | undefined> {
    const answer = await undefinedOn(NOT_FOUND.parameter, () =>
      this.clients.ssm.send(new GetParameterCommand({ Name: name })),
    );
    return answer && (answer.Parameter?.Value ?? "");
  }

  private async imageById(imageId: string): Promise<ImageAnswer> {
    try {
      const { Images } = await this.clients.ec2.send(
        new DescribeImagesCommand({ ImageIds: [imageId] }),
      );
      const image = Images?.find((candidate) => candidate.ImageId === imageId);
      if (!image)
        return {
          kind: "missing",
          reason: `EC2 shows this account no image ${imageId} (deregistered, not shared with it, or not allowed by its Allowed AMIs setting)`,
        };
      return {
        kind: "found",
        imageId,
        architecture: image.Architecture ?? "unknown",
        state: image.State ?? "unknown",
      };
    } catch (error) {
      if (NOT_FOUND.image.includes(errorCode(error) ?? ""))
        return { kind: "missing", reason: (error as Error).message };
      throw error;
    }
  }
}

/**
 * The account read with the default credential chain (environment, profile, SSO, ...) in
 * `region`, else the chain's region. S3 follows a bucket's region redirect, so a bucket in
 * another region reads as existing rather than as an error.
 */
export const createSdkAwsAccount = (region?: string): SdkAwsAccount => {
  const config = { region };
  return new SdkAwsAccount({
    dynamodb: new DynamoDBClient(config),
    ec2: new EC2Client(config),
    lambda: new LambdaClient(config),
    s3: new S3Client({ ...config, followRegionRedirects: true }),
    secretsManager: new SecretsManagerClient(config),
    serviceQuotas: new ServiceQuotasClient(config),
    ssm: new SSMClient(config),
    sts: new STSClient(config),
  });
};
