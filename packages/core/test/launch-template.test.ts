import { describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import { launchTemplateData, parseAutoscalerConfig } from "../src/index";

const pool = parseAutoscalerConfig(configInput()).pools[0]!;
const KEY_ARN = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("launchTemplateData", () => {
  const data = launchTemplateData(
    { ...pool, instance: { ...pool.instance, security_group_ids: ["sg-0123456789abcdef0"] } },
    {
      userData: "#cloud-config\n",
      instanceProfileArn: "arn:aws:iam::123456789012:instance-profile/runner",
      securityGroupIds: ["sg-0fedcba9876543210"],
    },
  );

  it("requires IMDSv2 and exposes tags to the instance, one hop only", () => {
    expect(data.MetadataOptions).toEqual({
      HttpEndpoint: "enabled",
      HttpTokens: "required",
      HttpPutResponseHopLimit: 1,
      InstanceMetadataTags: "enabled",
    });
  });

  it("terminates on an OS shutdown, so poweroff ends the bill", () => {
    expect(data.InstanceInitiatedShutdownBehavior).toBe("terminate");
  });

  it("carries the user-data base64-encoded, the instance profile and both security groups", () => {
    expect(Buffer.from(data.UserData ?? "", "base64").toString()).toBe("#cloud-config\n");
    expect(data.IamInstanceProfile).toEqual({
      Arn: "arn:aws:iam::123456789012:instance-profile/runner",
    });
    expect(data.SecurityGroupIds).toEqual(["sg-0fedcba9876543210", "sg-0123456789abcdef0"]);
  });

  it("gives an encrypted gp3 root disk of the pool's size that dies with the instance", () => {
    expect(data.BlockDeviceMappings).toEqual([
      {
        DeviceName: "/dev/sda1",
        Ebs: { VolumeSize: 30, VolumeType: "gp3", Encrypted: true, DeleteOnTermination: true },
      },
    ]);
  });

  it("gives the disk the pool's type, IOPS and throughput, under the customer's key", () => {
    const fast = launchTemplateData(
      {
        ...pool,
        instance: { ...pool.instance, disk_type: "gp3", disk_iops: 6000, disk_throughput: 500 },
      },
      {
        userData: "#cloud-config\n",
        instanceProfileArn: "arn:aws:iam::123456789012:instance-profile/runner",
        securityGroupIds: [],
        kmsKeyId: KEY_ARN,
      },
    );

    expect(fast.BlockDeviceMappings?.[0]?.Ebs).toEqual({
      VolumeSize: 30,
      VolumeType: "gp3",
      Iops: 6000,
      Throughput: 500,
      Encrypted: true,
      KmsKeyId: KEY_ARN,
      DeleteOnTermination: true,
    });
  });
});
