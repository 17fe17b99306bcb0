import type { AutoscalerConfig, StageOutputs } from "@ger/core/types";
import type { SubnetFacts } from "../../src/doctor/aws-account";
import type { AccountModel } from "../../src/doctor/memory-account";

export const STAGE = "prod";
export const ARM_IMAGE = "ami-0aaaaaaaaaaaaaaa1";
export const WEBHOOK_URL = "https://abc123.execute-api.eu-central-1.amazonaws.com/webhook";

export const stageOutputs = (config: AutoscalerConfig): StageOutputs => ({
  deployment: config.deployment,
  webhookUrl: WEBHOOK_URL,
  tableName: "prod-table",
  gitlabTokenSecret: "GitlabToken-abc",
  webhookSecret: "WebhookSecret-abc",
  functions: {
    webhook: "prod-Webhook",
    scaler: "prod-Scaler",
    reaper: "prod-Reaper",
    instanceEvents: "prod-InstanceEvents",
  },
  launchTemplates: Object.fromEntries(
    config.pools.map((pool, index) => [
      pool.name,
      { launchTemplateId: `lt-0${index}aaaaaaaaaaaaaaa`, version: "3" },
    ]),
  ),
});

const subnet = (subnetId: string, zone: string): SubnetFacts => ({
  subnetId,
  zone,
  vpcId: "vpc-0123456789abcdef0",
  mapPublicIpOnLaunch: false,
  defaultRoute: { kind: "nat-gateway", target: "nat-0123456789abcdef0" },
});

/**
 * An account where the test config (test/support/config.ts) fits: deployed, secrets set, both
 * subnets behind a NAT, every type offered in both zones, quotas well above the caps.
 */
export const healthyAccount = (
  config: AutoscalerConfig,
  gitlabToken: string,
  webhookSecret: string,
): AccountModel => {
  const outputs = stageOutputs(config);
  return {
    identity: {
      account: "123456789012",
      arn: "arn:aws:iam::123456789012:user/platform-admin",
      region: "eu-central-1",
    },
    stages: { [STAGE]: outputs },
    tables: { [outputs.tableName]: { status: "ACTIVE", streamEnabled: true } },
    functions: Object.fromEntries(Object.values(outputs.functions).map((name) => [name, "Active"])),
    secrets: { [outputs.gitlabTokenSecret]: gitlabToken, [outputs.webhookSecret]: webhookSecret },
    subnets: [
      subnet("subnet-0a1b2c3d4e5f60718", "eu-central-1a"),
      subnet("subnet-0f1e2d3c4b5a69788", "eu-central-1b"),
    ],
    instanceTypes: [
      { instanceType: "t4g.large", vcpus: 2, architectures: ["arm64"] },
      { instanceType: "m7g.large", vcpus: 2, architectures: ["arm64"] },
      { instanceType: "g5.xlarge", vcpus: 4, architectures: ["x86_64"] },
    ],
    offerings: ["t4g.large", "m7g.large", "g5.xlarge"].flatMap((type) => [
      `${type}@eu-central-1a`,
      `${type}@eu-central-1b`,
    ]),
    images: {
      [ARM_IMAGE]: { architecture: "arm64", state: "available" },
      "ami-0123456789abcdef0": { architecture: "x86_64", state: "available" },
    },
    imageParameters: {
      "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id":
        ARM_IMAGE,
    },
    quotas: {
      "ec2/L-1216C47A": 640,
      "ec2/L-34B43A08": 640,
      "ec2/L-DB2E81BA": 64,
      "ec2/L-3819A6DF": 64,
    },
  };
};
