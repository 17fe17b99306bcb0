import type { RequestLaunchTemplateData } from "@aws-sdk/client-ec2";
import type { PoolConfig } from "../../pools/autoscaler-config";

export interface LaunchTemplateInputs {
  readonly userData: string;
  readonly instanceProfileArn: string;
  /** The deployment's own group (no inbound rules) first, then the pool's extra ones. */
  readonly securityGroupIds: readonly string[];
  /** Root device of the AMIs in use (/dev/sda1 for Ubuntu, /dev/xvda for Amazon Linux). */
  readonly rootDeviceName?: string;
  /** The customer's key for the volumes (`kms_key_arn`); unset, EBS's default key. */
  readonly kmsKeyId?: string;
}

/**
 * A pool's launch template: what CreateFleet takes from it (everything but type, subnet and AMI,
 * which come per launch). Built here, as plain data, so that infra/ and the tests share it.
 */
export const launchTemplateData = (
  pool: PoolConfig,
  inputs: LaunchTemplateInputs,
): RequestLaunchTemplateData => ({
  UserData: Buffer.from(inputs.userData, "utf8").toString("base64"),
  IamInstanceProfile: { Arn: inputs.instanceProfileArn },
  SecurityGroupIds: [...inputs.securityGroupIds, ...pool.instance.security_group_ids],
  // An OS poweroff (the user-data's last act) ends the instance and its bill.
  InstanceInitiatedShutdownBehavior: "terminate",
  MetadataOptions: {
    HttpEndpoint: "enabled",
    HttpTokens: "required",
    // One hop: the runner on the host reaches IMDS, job containers do not get the instance role.
    HttpPutResponseHopLimit: 1,
    // The instance learns its runner name and wait timeout from its own tags.
    InstanceMetadataTags: "enabled",
  },
  BlockDeviceMappings: [
    {
      DeviceName: inputs.rootDeviceName ?? "/dev/sda1",
      Ebs: {
        VolumeSize: pool.instance.disk_size_gb,
        VolumeType: pool.instance.disk_type,
        ...(pool.instance.disk_iops !== undefined && { Iops: pool.instance.disk_iops }),
        ...(pool.instance.disk_throughput !== undefined && {
          Throughput: pool.instance.disk_throughput,
        }),
        Encrypted: true,
        ...(inputs.kmsKeyId && { KmsKeyId: inputs.kmsKeyId }),
        DeleteOnTermination: true,
      },
    },
  ],
  Monitoring: { Enabled: false },
});
