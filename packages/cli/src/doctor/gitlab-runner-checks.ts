import { createRunnerRequest, runnerScopeOf } from "@ger/core";
import type {
  AutoscalerConfig,
  GitlabSetupApi,
  RunnerRegistry,
  RunnerScope,
} from "@ger/core/types";
import { type CheckResult, checksOf } from "./check";
import { gitlabFailure } from "./gitlab-failure";

const { pass, fail } = checksOf("gitlab");

const RUNNERS_DOCS = "https://docs.gitlab.com/api/users/#create-a-runner-linked-to-a-user";

const scopeName = (scope: RunnerScope) =>
  scope.runnerType === "group_type"
    ? `group ${scope.groupId}`
    : scope.runnerType === "project_type"
      ? `project ${scope.projectId}`
      : "the instance";

/** Who may create runners there: GitLab's rule for POST /user/runners. */
const neededRole = (scope: RunnerScope) =>
  scope.runnerType === "group_type"
    ? `the Owner role in group ${scope.groupId}`
    : scope.runnerType === "project_type"
      ? `the Maintainer role in project ${scope.projectId}`
      : "an administrator's token";

export interface RunnerChecksContext {
  readonly config: AutoscalerConfig;
  readonly setup: GitlabSetupApi;
  readonly registry: Pick<RunnerRegistry, "listRunners">;
  readonly gitlabUrl: string;
  readonly replaceToken: string;
}

/**
 * Proves, per runner scope the pools use, that the token may do what the control plane does
 * there: create a runner (a paused one, named after the deployment, deleted at once) and list
 * the scope's runners (the reaper's orphan check).
 */
export const checkRunnerScopes = async (context: RunnerChecksContext): Promise<CheckResult[]> => {
  const byScope = new Map<string, { scope: RunnerScope; pools: AutoscalerConfig["pools"] }>();
  for (const pool of context.config.pools) {
    const scope = runnerScopeOf(pool);
    const key = JSON.stringify(scope);
    const entry = byScope.get(key) ?? { scope, pools: [] };
    byScope.set(key, { ...entry, pools: [...entry.pools, pool] });
  }
  const results: CheckResult[] = [];
  for (const { scope, pools } of byScope.values())
    results.push(await checkScope(context, scope, pools));
  return results;
};

const checkScope = async (
  { config, setup, registry, gitlabUrl, replaceToken }: RunnerChecksContext,
  scope: RunnerScope,
  pools: AutoscalerConfig["pools"],
): Promise<CheckResult> => {
  const where = scopeName(scope);
  const id = `gitlab.runners.${scope.runnerType === "instance_type" ? "instance" : where.replace(" ", "-")}`;
  const title = `runners in ${where}`;
  const poolNames = pools.map((pool) => pool.name).join(", ");
  const first = pools[0];
  if (!first) return pass(id, title, "no pool");
  let runnerId: number;
  try {
    // The pool's own parameters (tags, timeout, access level): what the scaler will ask for.
    runnerId = (
      await setup.createPausedRunner(
        createRunnerRequest(first, `${config.deployment}/doctor-probe`),
      )
    ).id;
  } catch (error) {
    const failure = gitlabFailure(error);
    const fix =
      failure.kind === "insufficient_scope"
        ? `give the token the create_runner scope, then ${replaceToken}`
        : failure.kind === "forbidden"
          ? `use a token of a user with ${neededRole(scope)}, then ${replaceToken}`
          : failure.kind === "not_found"
            ? `check runner.${scope.runnerType === "group_type" ? "group_id" : "project_id"} of pool ${first.name} in autoscaler.config.ts, and that the token can see it`
            : "run doctor again; if it persists, check GitLab's logs";
    return fail(id, title, {
      saw: `creating a runner for pools ${poolNames} failed: ${"detail" in failure ? failure.detail : failure.cause}`,
      fix,
      docs: RUNNERS_DOCS,
    });
  }
  try {
    await setup.deleteRunner(runnerId);
  } catch (error) {
    return fail(id, title, {
      saw: `created probe runner ${runnerId} (paused: it takes no job) but could not delete it: ${gitlabFailure(error).kind}`,
      fix: `delete it: curl -X DELETE -H "PRIVATE-TOKEN: <token>" ${gitlabUrl}/api/v4/runners/${runnerId}; the token needs manage_runner (or api), then ${replaceToken}`,
      docs: "https://docs.gitlab.com/api/runners/#delete-a-runner",
    });
  }
  try {
    await registry.listRunners(scope);
  } catch (error) {
    return fail(id, title, {
      saw: `may create and delete runners in ${where}, but not list them (${gitlabFailure(error).kind}): the reaper cannot find orphaned runners`,
      fix:
        scope.runnerType === "instance_type"
          ? `instance pools need an administrator's token with read_api, then ${replaceToken}`
          : `give the token read_api, then ${replaceToken}`,
      docs: "https://docs.gitlab.com/api/runners/",
    });
  }
  return pass(
    id,
    title,
    `created, deleted and listed runners in ${where} (pools ${poolNames}); nothing left behind`,
  );
};
