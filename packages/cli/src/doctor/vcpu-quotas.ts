import type { AutoscalerConfig, PoolConfig } from "@ger/core/types";
import { marketsOf } from "./pool-markets";

/** An EC2 vCPU quota (Service Quotas, service code ec2): one per instance-family group and market. */
export interface VcpuQuota {
  readonly code: string;
  readonly name: string;
}

/** Quota codes for the family groups CI runners use; others are reported as unchecked. */
const QUOTAS: Readonly<Record<string, { "on-demand": VcpuQuota; spot: VcpuQuota }>> = {
  standard: {
    "on-demand": {
      code: "L-1216C47A",
      name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
    },
    spot: {
      code: "L-34B43A08",
      name: "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
    },
  },
  "g-vt": {
    "on-demand": { code: "L-DB2E81BA", name: "Running On-Demand G and VT instances" },
    spot: { code: "L-3819A6DF", name: "All G and VT Spot Instance Requests" },
  },
};

export const VCPU_QUOTA_CODES = Object.values(QUOTAS).flatMap((byMarket) =>
  Object.values(byMarket).map((quota) => quota.code),
);

const STANDARD_FAMILIES = new Set(["a", "c", "d", "h", "i", "im", "is", "m", "r", "t", "z"]);

/** The family group of an instance type (c7g.large → standard, g5.xlarge → g-vt); undefined if unchecked. */
export const familyGroup = (instanceType: string): string | undefined => {
  const letters = /^[a-z]+/.exec(instanceType)?.[0] ?? "";
  if (STANDARD_FAMILIES.has(letters)) return "standard";
  if (letters === "g" || letters === "vt") return "g-vt";
  return undefined;
};

export interface QuotaNeed {
  readonly quota: VcpuQuota;
  /** vCPUs the caps allow at most in this quota. */
  readonly vcpus: number;
  /** How the figure was reached, for the report. */
  readonly reason: string;
}

/** The largest cap a pool can run at: its own, or a schedule period's if higher. */
const poolCap = (pool: PoolConfig) =>
  Math.max(pool.max_instances, ...pool.policy.map((period) => period.max_instances ?? 0));

/**
 * vCPUs each quota must allow for the caps to be reachable: per pool, its cap times its largest
 * type in the group (every instance could be that type), summed over pools and bounded by the
 * global cap times the largest type. A market the pool may fall back to counts in full.
 */
export const quotaNeeds = (
  config: AutoscalerConfig,
  vcpusOf: (instanceType: string) => number | undefined,
): { needs: QuotaNeed[]; unchecked: string[] } => {
  const sums = new Map<
    string,
    { quota: VcpuQuota; vcpus: number; largest: number; parts: string[] }
  >();
  const unchecked = new Set<string>();
  for (const pool of config.pools) {
    for (const market of marketsOf(pool)) {
      const largestByGroup = new Map<string, number>();
      for (const type of pool.instance.types) {
        const group = familyGroup(type);
        const vcpus = vcpusOf(type);
        if (!group || vcpus === undefined) {
          unchecked.add(type);
          continue;
        }
        largestByGroup.set(group, Math.max(largestByGroup.get(group) ?? 0, vcpus));
      }
      for (const [group, largest] of largestByGroup) {
        const quota = QUOTAS[group]?.[market];
        if (!quota) continue;
        const entry = sums.get(quota.code) ?? { quota, vcpus: 0, largest: 0, parts: [] };
        const cap = poolCap(pool);
        entry.vcpus += cap * largest;
        entry.largest = Math.max(entry.largest, largest);
        entry.parts.push(`${pool.name} ${cap} × ${largest}`);
        sums.set(quota.code, entry);
      }
    }
  }
  const needs = [...sums.values()].map(({ quota, vcpus, largest, parts }) => {
    const bound = config.max_instances * largest;
    return vcpus <= bound
      ? { quota, vcpus, reason: parts.join(" + ") }
      : { quota, vcpus: bound, reason: `max_instances ${config.max_instances} × ${largest}` };
  });
  return { needs, unchecked: [...unchecked] };
};
