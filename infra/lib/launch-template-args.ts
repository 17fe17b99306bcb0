import type { RequestLaunchTemplateData } from "@aws-sdk/client-ec2";

/** The launch template as Pulumi's aws.ec2.LaunchTemplate takes it (camelCase, EBS flags as strings). */
export interface LaunchTemplateArgs {
  readonly userData: string;
  readonly iamInstanceProfile: { readonly arn: string };
  readonly vpcSecurityGroupIds: string[];
  readonly instanceInitiatedShutdownBehavior: string;
  readonly metadataOptions: {
    readonly httpEndpoint: string;
    readonly httpTokens: string;
    readonly httpPutResponseHopLimit: number;
    readonly instanceMetadataTags: string;
  };
  readonly blockDeviceMappings: {
    readonly deviceName: string;
    readonly ebs: {
      readonly volumeSize: number;
      readonly volumeType: string;
      readonly iops?: number;
      readonly throughput?: number;
      readonly encrypted: string;
      readonly kmsKeyId?: string;
      readonly deleteOnTermination: string;
    };
  }[];
  readonly monitoring: { readonly enabled: boolean };
}

const required = <T>(value: T | undefined, field: string): T => {
  if (value === undefined) throw new Error(`launch template data lacks ${field}`);
  return value;
};

/** Converts launchTemplateData's output (the EC2 API's shape) for infra/, field by field. */
export const toLaunchTemplateArgs = (data: RequestLaunchTemplateData): LaunchTemplateArgs => {
  const metadata = required(data.MetadataOptions, "MetadataOptions");
  return {
    userData: required(data.UserData, "UserData"),
    iamInstanceProfile: { arn: required(data.IamInstanceProfile?.Arn, "IamInstanceProfile.Arn") },
    vpcSecurityGroupIds: [...(data.SecurityGroupIds ?? [])],
    instanceInitiatedShutdownBehavior: required(
      data.InstanceInitiatedShutdownBehavior,
      "InstanceInitiatedShutdownBehavior",
    ),
    metadataOptions: {
      httpEndpoint: required(metadata.HttpEndpoint, "HttpEndpoint"),
      httpTokens: required(metadata.HttpTokens, "HttpTokens"),
      httpPutResponseHopLimit: required(metadata.HttpPutResponseHopLimit, "HopLimit"),
      instanceMetadataTags: required(metadata.InstanceMetadataTags, "InstanceMetadataTags"),
    },
    blockDeviceMappings: (data.BlockDeviceMappings ?? []).map((mapping) => {
      const ebs = required(mapping.Ebs, "Ebs");
      return {
        deviceName: required(mapping.DeviceName, "DeviceName"),
        ebs: {
          volumeSize: required(ebs.VolumeSize, "VolumeSize"),
          volumeType: required(ebs.VolumeType, "VolumeType"),
          ...(ebs.Iops !== undefined && { iops: ebs.Iops }),
          ...(ebs.Throughput !== undefined && { throughput: ebs.Throughput }),
          encrypted: String(ebs.Encrypted === true),
          ...(ebs.KmsKeyId !== undefined && { kmsKeyId: ebs.KmsKeyId }),
          deleteOnTermination: String(ebs.DeleteOnTermination === true),
        },
      };
    }),
    monitoring: { enabled: data.Monitoring?.Enabled === true },
  };
};
