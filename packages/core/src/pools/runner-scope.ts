import type { CreateRunnerRequest, RunnerScope } from "../ports/gitlab";
import type { AutoscalerConfig, PoolConfig } from "./autoscaler-config";

/** Where a pool's runners live in GitLab, for listing them. */
export const runnerScopeOf = (pool: PoolConfig): RunnerScope => {
  const { runner } = pool;
  if (runner.runner_type === "group_type")
    return { runnerType: "group_type", groupId: runner.group_id };
  if (runner.runner_type === "project_type")
    return { runnerType: "project_type", projectId: runner.project_id };
  return { runnerType: "instance_type" };
};

/** POST /user/runners for one runner of the pool. */
export const createRunnerRequest = (pool: PoolConfig, description: string): CreateRunnerRequest => {
  const { runner } = pool;
  return {
    runnerType: runner.runner_type,
    ...(runner.runner_type === "group_type" && { groupId: runner.group_id }),
    ...(runner.runner_type === "project_type" && { projectId: runner.project_id }),
    description,
    tagList: pool.tags,
    runUntagged: pool.run_untagged,
    maximumTimeout: runner.maximum_timeout,
    accessLevel: runner.access_level,
  };
};

/** The key of a group's or project's registered-runner count: `group#42`, `project#7`. */
export const registrationScopeKey = (pool: PoolConfig): string | undefined => {
  const { runner } = pool;
  if (runner.runner_type === "group_type") return `group#${runner.group_id}`;
  if (runner.runner_type === "project_type") return `project#${runner.project_id}`;
  return undefined;
};

export interface RegistrationCap {
  readonly key: string;
  readonly limit: number;
  /** Where the cap comes from: the config, GitLab's refusal, or gitlab.com's plan (`plan free`). */
  readonly source: "registered_runner_limit" | "refusal" | `plan ${string}`;
}

/**
 * The registered-runner cap a pool's runners count against: its scope's, shared with every pool
 * of the same group or project, the smallest any of them sets. None for instance runners, or
 * where no pool of the scope sets `registered_runner_limit`.
 */
export const registrationCapOf = (
  config: Pick<AutoscalerConfig, "pools">,
  pool: PoolConfig,
): RegistrationCap | undefined => {
  const key = registrationScopeKey(pool);
  if (key === undefined) return undefined;
  const limits = config.pools
    .filter((other) => registrationScopeKey(other) === key)
    .flatMap((other) =>
      "registered_runner_limit" in other.runner &&
      other.runner.registered_runner_limit !== undefined
        ? [other.runner.registered_runner_limit]
        : [],
    );
  return limits.length > 0
    ? { key, limit: Math.min(...limits), source: "registered_runner_limit" }
    : undefined;
};
