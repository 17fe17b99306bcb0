import {
  createRunnerRequest,
  gitlabComPlanLimit,
  isGitlabCom,
  registrationCapOf,
  runnerScopeOf,
} from "@ger/core";
import type {
  AutoscalerConfig,
  CappedRunnerScope,
  GitlabSetupApi,
  RunnerRegistry,
  RunnerScope,
} from "@ger/core/types";
import { type CheckResult, checksOf } from "./check";
import { gitlabFailure } from "./gitlab-failure";

const { pass, warn, fail } = checksOf("gitlab");

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
  readonly registry: Pick<RunnerRegistry, "listRunners" | "namespacePlan">;
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
  for (const { scope, pools } of byScope.values()) {
    const { result, registered } = await checkScope(context, scope, pools);
    results.push(result);
    const limit = await registrationCheck(context, scope, pools, registered);
    if (limit) results.push(limit);
  }
  return results;
};

/**
 * GitLab caps the runners registered in a group or project (gitlab.com: by plan, 50 on Free,
 * 1,000 on Premium); the pools of a scope, one registration per runner, may want up to their
 * caps' sum. Where the config sets no cap, the scaler holds to the plan's on gitlab.com.
 */
const registrationCheck = async (
  { config, registry }: RunnerChecksContext,
  scope: RunnerScope,
  pools: AutoscalerConfig["pools"],
  registered: number | undefined,
): Promise<CheckResult | undefined> => {
  const first = pools[0];
  if (scope.runnerType === "instance_type" || !first) return undefined;
  const where = scopeName(scope);
  const id = `gitlab.registrations.${where.replace(" ", "-")}`;
  const title = `registered-runner cap of ${where}`;
  const wanted = pools.reduce((sum, pool) => sum + pool.max_instances, 0);
  const now = registered === undefined ? "" : `; ${registered} registered there now`;
  const docs =
    "https://docs.gitlab.com/administration/instance_limits/#number-of-registered-runners-for-each-scope";
  const configured = registrationCapOf(config, first);
  const plan =
    configured || !isGitlabCom(config.gitlab_url) ? undefined : await planOf(registry, scope);
  const planLimit = plan === undefined ? undefined : gitlabComPlanLimit(plan);
  const cap = configured?.limit ?? planLimit;
  const source = configured ? "registered_runner_limit" : `gitlab.com's ${plan} plan`;
  if (cap === undefined) {
    if (!isGitlabCom(config.gitlab_url))
      return pass(
        id,
        title,
        `no registered_runner_limit set: the pools may register up to ${wanted}${now}`,
      );
    const unread =
      plan === undefined
        ? `the token cannot read ${where}'s plan (GitLab shows it to Owners only)`
        : `${where}'s plan "${plan}" has no cap this tool knows`;
    return warn(id, title, {
      saw: `gitlab.com caps registered runners per ${scope.runnerType === "group_type" ? "group" : "project"} (50 on Free, 1,000 on Premium) and ${unread}; the pools may want ${wanted}${now}`,
      fix: `set runner.registered_runner_limit of pool ${first.name} to your plan's cap minus the runners registered there by others`,
      docs,
    });
  }
  if (wanted <= cap)
    return pass(id, title, `${source} ${cap}; the pools may register up to ${wanted}${now}`);
  return warn(id, title, {
    saw: `${source} ${cap} holds the pools (up to ${wanted} runners) to ${cap} at once${now}: jobs beyond it wait`,
    fix: configured
      ? "raise the cap in GitLab (plan, or the administrator's setting) and registered_runner_limit, or lower max_instances"
      : "upgrade the plan, or lower max_instances (runner.registrations: reuse keeps registrations to the peak)",
    docs,
  });
};

/** The scope's plan, or undefined where GitLab will not show it (this is a check, not a gate). */
const planOf = async (
  registry: Pick<RunnerRegistry, "namespacePlan">,
  scope: CappedRunnerScope,
): Promise<string | undefined> => {
  try {
    return await registry.namespacePlan(scope);
  } catch {
    return undefined;
  }
};

const checkScope = async (
  { config, setup, registry, gitlabUrl, replaceToken }: RunnerChecksContext,
  scope: RunnerScope,
  pools: AutoscalerConfig["pools"],
): Promise<{ result: CheckResult; registered?: number }> => {
  const where = scopeName(scope);
  const id = `gitlab.runners.${scope.runnerType === "instance_type" ? "instance" : where.replace(" ", "-")}`;
  const title = `runners in ${where}`;
  const poolNames = pools.map((pool) => pool.name).join(", ");
  const first = pools[0];
  if (!first) return { result: pass(id, title, "no pool") };
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
    return {
      result: fail(id, title, {
        saw: `creating a runner for pools ${poolNames} failed: ${"detail" in failure ? failure.detail : failure.cause}`,
        fix,
        docs: RUNNERS_DOCS,
      }),
    };
  }
  try {
    await setup.deleteRunner(runnerId);
  } catch (error) {
    return {
      result: fail(id, title, {
        saw: `created probe runner ${runnerId} (paused: it takes no job) but could not delete it: ${gitlabFailure(error).kind}`,
        fix: `delete it: curl -X DELETE -H "PRIVATE-TOKEN: <token>" ${gitlabUrl}/api/v4/runners/${runnerId}; the token needs manage_runner (or api), then ${replaceToken}`,
        docs: "https://docs.gitlab.com/api/runners/#delete-a-runner",
      }),
    };
  }
  let registered: number;
  try {
    registered = (await registry.listRunners(scope)).length;
  } catch (error) {
    return {
      result: fail(id, title, {
        saw: `may create and delete runners in ${where}, but not list them (${gitlabFailure(error).kind}): the reaper cannot find orphaned runners`,
        fix:
          scope.runnerType === "instance_type"
            ? `instance pools need an administrator's token with read_api, then ${replaceToken}`
            : `give the token read_api, then ${replaceToken}`,
        docs: "https://docs.gitlab.com/api/runners/",
      }),
    };
  }
  return {
    result: pass(
      id,
      title,
      `created, deleted and listed runners in ${where} (pools ${poolNames}); nothing left behind`,
    ),
    registered,
  };
};
