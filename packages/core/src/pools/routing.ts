import type { PoolConfig } from "./autoscaler-config";

/** What routing knows of a job: its tags, its project and (once read) the project's groups. */
export interface RoutableJob {
  readonly tags: readonly string[];
  readonly projectId: number;
  /** The project's group and every group above it; undefined until read from GitLab. */
  readonly groupIds?: readonly number[];
}

/** The groups whose runners the pools make: where a group hook of ours may live. */
export const groupsOfPools = (pools: readonly Pick<PoolConfig, "runner">[]): number[] => [
  ...new Set(
    pools.flatMap(({ runner }) => (runner.runner_type === "group_type" ? [runner.group_id] : [])),
  ),
];

/** A stored job's routing facts; undefined while its tags are not read. */
export const routableJob = (job: {
  readonly tags?: readonly string[];
  readonly projectId: number;
  readonly groupIds?: readonly number[];
}): RoutableJob | undefined =>
  job.tags && {
    tags: job.tags,
    projectId: job.projectId,
    ...(job.groupIds && { groupIds: job.groupIds }),
  };

type RoutedPool = Pick<PoolConfig, "name" | "tags" | "run_untagged" | "runner">;

/** GitLab's rule: a runner takes a job when (run_untagged or the job has tags) and job tags ⊆ runner tags. */
export const poolCanRun = (
  pool: Pick<PoolConfig, "tags" | "run_untagged">,
  jobTags: readonly string[],
): boolean =>
  (pool.run_untagged || jobTags.length > 0) && jobTags.every((tag) => pool.tags.includes(tag));

/**
 * Whether GitLab would ever give this job to the pool's runners: an instance runner serves every
 * project, a project runner its project, a group runner the projects of its group and subgroups.
 * Undefined when that depends on the project's groups and they are not known yet.
 */
export const poolScopeServes = (pool: Pick<PoolConfig, "runner">, job: RoutableJob) => {
  const { runner } = pool;
  if (runner.runner_type === "instance_type") return true;
  if (runner.runner_type === "project_type") return runner.project_id === job.projectId;
  return job.groupIds?.includes(runner.group_id);
};

/** A pool whose tags fit and whose scope takes the job's project. */
export const poolServes = (pool: RoutedPool, job: RoutableJob): boolean =>
  poolCanRun(pool, job.tags) && poolScopeServes(pool, job) === true;

/** The first pool, in config order, whose runners GitLab would give this job. */
export const routeJob = <P extends RoutedPool>(
  pools: readonly P[],
  job: RoutableJob,
): P | undefined => pools.find((pool) => poolServes(pool, job));

/** Why no pool serves a job: none has its tags, or none that has them may serve its project. */
export type UnroutableReason = "no_pool_has_its_tags" | "outside_every_pool_scope";

export const whyUnroutable = (pools: readonly RoutedPool[], job: RoutableJob): UnroutableReason =>
  pools.some((pool) => poolCanRun(pool, job.tags))
    ? "outside_every_pool_scope"
    : "no_pool_has_its_tags";

/** The project's groups are needed: a group pool has the job's tags and they are not read yet. */
export const needsProjectGroups = (pools: readonly RoutedPool[], job: RoutableJob): boolean =>
  job.groupIds === undefined &&
  pools.some((pool) => pool.runner.runner_type === "group_type" && poolCanRun(pool, job.tags));
