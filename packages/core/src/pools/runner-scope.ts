import type { CreateRunnerRequest, RunnerScope } from "../ports/gitlab";
import type { PoolConfig } from "./autoscaler-config";

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
