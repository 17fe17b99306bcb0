import type { PoolConfig } from "./autoscaler-config";

/** GitLab's rule: a runner takes a job when (run_untagged or the job has tags) and job tags ⊆ runner tags. */
export const poolCanRun = (
  pool: Pick<PoolConfig, "tags" | "run_untagged">,
  jobTags: readonly string[],
): boolean =>
  (pool.run_untagged || jobTags.length > 0) && jobTags.every((tag) => pool.tags.includes(tag));

/** The first pool, in config order, whose runners would take a job with these tags. */
export const routeJob = <P extends Pick<PoolConfig, "name" | "tags" | "run_untagged">>(
  pools: readonly P[],
  jobTags: readonly string[],
): P | undefined => pools.find((pool) => poolCanRun(pool, jobTags));
