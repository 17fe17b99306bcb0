import type { AutoscalerConfig } from "@ger/core/types";
import type { InstanceTypeFacts, StageOutputs } from "./aws-account";
import { InMemoryAwsAccount } from "./memory-account";
import { VCPU_QUOTA_CODES } from "./vcpu-quotas";

/** The stage name `doctor` and `connect` give the local stack. */
export const LOCAL_STAGE = "local";

export interface LocalStackFacts {
  readonly tableName: string;
  readonly webhookUrl: string;
  readonly gitlabToken: string;
  readonly webhookSecret: string;
}

/** Graviton families carry a g after their generation (c7g, m6gd, t4g, im4gn). */
const architectureOf = (instanceType: string) =>
  /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType) ? "arm64" : "x86_64";

/** EC2's size names double the vCPUs from large (2) up: xlarge 4, 2xlarge 8, ... */
const vcpusOf = (instanceType: string): number => {
  const size = instanceType.split(".")[1] ?? "";
  const multiple = /^(\d*)xlarge$/.exec(size);
  if (multiple) return 4 * Number(multiple[1] || 1);
  return size === "large" ? 2 : size === "metal" ? 96 : 1;
};

/**
 * The AWS side of the local stack as an account: its simulated EC2 launches any type in any
 * subnet with no quota, behind a NAT; the table, functions and secrets are the stack's own.
 */
export const localStackAccount = (config: AutoscalerConfig, facts: LocalStackFacts) => {
  const zone = "local-1a";
  const types: InstanceTypeFacts[] = [
    ...new Set(config.pools.flatMap((pool) => pool.instance.types)),
  ].map((instanceType) => ({
    instanceType,
    vcpus: vcpusOf(instanceType),
    architectures: [architectureOf(instanceType)],
  }));
  const outputs: StageOutputs = {
    deployment: config.deployment,
    webhookUrl: facts.webhookUrl,
    tableName: facts.tableName,
    gitlabTokenSecret: "local/gitlab-token",
    webhookSecret: "local/webhook-secret",
    functions: { webhook: "webhook", scaler: "scaler", reaper: "reaper" },
    launchTemplates: Object.fromEntries(
      config.pools.map((pool) => [
        pool.name,
        { launchTemplateId: `lt-local-${pool.name}`, version: "1" },
      ]),
    ),
  };
  const images = Object.fromEntries(
    config.pools.map((pool) => [
      pool.instance.ami.id ?? `ami-local-${pool.name}`,
      { architecture: architectureOf(pool.instance.types[0] ?? ""), state: "available" },
    ]),
  );
  return new InMemoryAwsAccount({
    identity: {
      account: "000000000000",
      arn: "arn:aws:iam::000000000000:user/local",
      region: "local",
    },
    stages: { [LOCAL_STAGE]: outputs },
    tables: { [facts.tableName]: { status: "ACTIVE", streamEnabled: true } },
    functions: Object.fromEntries(Object.values(outputs.functions).map((name) => [name, "Active"])),
    secrets: {
      "local/gitlab-token": facts.gitlabToken,
      "local/webhook-secret": facts.webhookSecret,
    },
    subnets: [...new Set(config.pools.flatMap((pool) => pool.instance.subnets))].map(
      (subnetId) => ({
        subnetId,
        zone,
        vpcId: "vpc-local",
        mapPublicIpOnLaunch: false,
        defaultRoute: { kind: "nat-gateway", target: "nat-local" },
      }),
    ),
    instanceTypes: types,
    offerings: types.map((type) => `${type.instanceType}@${zone}`),
    images,
    imageParameters: Object.fromEntries(
      config.pools.flatMap((pool) =>
        pool.instance.ami.ssm_parameter
          ? [[pool.instance.ami.ssm_parameter, `ami-local-${pool.name}`]]
          : [],
      ),
    ),
    // Simulated EC2 has no quota.
    quotas: Object.fromEntries(VCPU_QUOTA_CODES.map((code) => [`ec2/${code}`, Infinity])),
    buckets: Object.fromEntries(
      config.pools.flatMap((pool) => (pool.cache ? [[pool.cache.bucket, "exists" as const]] : [])),
    ),
  });
};
