import type { AutoscalerConfig } from "@ger/core/types";
import type { AwsAccount, InstanceTypeFacts } from "./aws-account";
import { guarded } from "./aws-stage-checks";
import { type CheckResult, checksOf } from "./check";
import { quotaNeeds } from "./vcpu-quotas";

const { pass, warn, fail } = checksOf("aws");

const QUOTAS_DOCS = "https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html";

/** Each vCPU quota the pools draw on allows what max_instances allows. */
export const checkQuotas = async (
  config: AutoscalerConfig,
  account: AwsAccount,
  types: readonly InstanceTypeFacts[],
): Promise<CheckResult[]> => {
  const vcpus = new Map(types.map((type) => [type.instanceType, type.vcpus]));
  const { needs, unchecked } = quotaNeeds(config, (type) => vcpus.get(type));
  const results: CheckResult[] = [];
  for (const { quota, vcpus: needed, reason } of needs) {
    const id = `aws.quota.${quota.code}`;
    results.push(
      await guarded(id, quota.name, async () => {
        const value = await account.quota("ec2", quota.code);
        if (value === undefined)
          return warn(id, quota.name, {
            saw: `Service Quotas knows no ${quota.code} here`,
            fix: "check the quota in the Service Quotas console",
            docs: QUOTAS_DOCS,
          });
        const limit = Number.isFinite(value) ? `${value} vCPUs` : "no limit";
        const saw = `${limit}; the caps allow ${needed} (${reason})`;
        if (value >= needed) return pass(id, quota.name, saw);
        return fail(id, quota.name, {
          saw: `${saw}: launches beyond ${value} vCPUs fail with VcpuLimitExceeded`,
          fix: `aws service-quotas request-service-quota-increase --service-code ec2 --quota-code ${quota.code} --desired-value ${needed} (or lower max_instances)`,
          docs: QUOTAS_DOCS,
        });
      }),
    );
  }
  if (unchecked.length > 0)
    results.push(
      warn("aws.quota.unchecked", "other vCPU quotas", {
        saw: `the vCPU quota of ${unchecked.join(", ")} is not checked (only standard and G/VT families are)`,
        fix: "compare its family's quota with max_instances in the Service Quotas console",
        docs: QUOTAS_DOCS,
      }),
    );
  return results;
};

/** The S3 caches the pools name: the deploy creates them, and a taken name cannot be. */
export const checkCaches = async (
  config: AutoscalerConfig,
  account: AwsAccount,
  stage: string,
): Promise<CheckResult[]> => {
  const buckets = [
    ...new Set(config.pools.flatMap((pool) => (pool.cache ? [pool.cache.bucket] : []))),
  ];
  const results: CheckResult[] = [];
  for (const bucket of buckets) {
    const id = `aws.cache.${bucket}`;
    const title = `cache bucket ${bucket}`;
    results.push(
      await guarded(id, title, async () => {
        const state = await account.bucket(bucket);
        if (state === "exists") return pass(id, title, `${bucket} exists`);
        if (state === "missing")
          return fail(id, title, {
            saw: `no bucket ${bucket}`,
            fix: `deploy again, which creates it: npx sst deploy --stage ${stage}`,
          });
        return fail(id, title, {
          saw: `${bucket} exists but these credentials may not reach it: another account may own the name (S3 names are global)`,
          fix: "choose another cache.bucket name, then deploy again",
        });
      }),
    );
  }
  return results;
};
