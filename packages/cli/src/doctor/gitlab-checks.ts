import type {
  AccessTokenFacts,
  AutoscalerConfig,
  Clock,
  GitlabSetupApi,
  HookOwner,
  RunnerRegistry,
} from "@ger/core/types";
import { type CheckResult, checksOf } from "./check";
import { gitlabFailure } from "./gitlab-failure";
import { checkHooks } from "./gitlab-hook-checks";
import { checkRunnerScopes } from "./gitlab-runner-checks";
import { checkToken } from "./gitlab-token-check";
import { GITLAB_FEATURES, parseGitlabVersion, versionAtLeast } from "./gitlab-versions";

const { pass, warn, fail } = checksOf("gitlab");

export interface GitlabChecksContext {
  readonly config: AutoscalerConfig;
  readonly setup: GitlabSetupApi;
  readonly registry: Pick<RunnerRegistry, "listRunners" | "namespacePlan">;
  readonly webhookUrl: string;
  readonly connectedHooks: readonly HookOwner[];
  readonly clock: Clock;
  /** How to store a new GitLab token where this deployment reads it. */
  readonly replaceToken: string;
  /** `npm run cli -- connect …` for this stage, without the owner. */
  readonly connectCommand: string;
}

/** GitLab reachable, recent enough, the token fit; runners creatable in every pool's scope; hooks in place. */
export const runGitlabChecks = async (context: GitlabChecksContext): Promise<CheckResult[]> => {
  const url = context.config.gitlab_url;
  let version: string | undefined;
  try {
    version = (await context.setup.version()).version;
  } catch (error) {
    // GET /version takes read_api, read_user or api: without them GitLab still answered.
    if (gitlabFailure(error).kind !== "insufficient_scope")
      return [unreachable(url, error, context.replaceToken)];
  }
  const parsed = version === undefined ? undefined : parseGitlabVersion(version);
  const results = [
    pass(
      "gitlab.reachable",
      "reachable",
      `GitLab ${version ?? "(version unreadable)"} answers at ${url}`,
    ),
    version === undefined
      ? warn("gitlab.version", "version", {
          saw: "the token may not read GET /version (it needs read_api, read_user or api)",
          fix: "see the token scopes check",
        })
      : checkVersion(version, parsed),
  ];
  let token: AccessTokenFacts | undefined;
  try {
    token = await context.setup.currentToken();
  } catch (error) {
    results.push(
      warn("gitlab.token", "token", {
        saw: `GET /personal_access_tokens/self failed (${gitlabFailure(error).kind}): scopes and expiry unchecked; the runner checks below still prove what matters`,
        fix: "GitLab answers it from 15.5 on, for personal, group and project access tokens",
      }),
    );
  }
  if (token)
    results.push(
      ...checkToken({
        token,
        version: parsed,
        now: context.clock.now(),
        replaceToken: context.replaceToken,
      }),
    );
  results.push(
    ...(await checkRunnerScopes({
      config: context.config,
      setup: context.setup,
      registry: context.registry,
      gitlabUrl: url,
      replaceToken: context.replaceToken,
    })),
    ...(await checkHooks({
      setup: context.setup,
      webhookUrl: context.webhookUrl,
      owners: context.connectedHooks,
      connectCommand: context.connectCommand,
    })),
  );
  return results;
};

const unreachable = (url: string, error: unknown, replaceToken: string): CheckResult => {
  const failure = gitlabFailure(error);
  if (failure.kind === "unauthorized")
    return fail("gitlab.reachable", "reachable", {
      saw: `GitLab at ${url} refused the token (401): it is wrong, expired or revoked`,
      fix: `create a token with create_runner, manage_runner, read_api and api, then ${replaceToken}`,
      docs: "https://docs.gitlab.com/user/profile/personal_access_tokens/",
    });
  return fail("gitlab.reachable", "reachable", {
    saw: `GET ${url}/api/v4/version: ${failure.kind === "unreachable" ? failure.cause : failure.detail}`,
    fix: "check gitlab_url in autoscaler.config.ts; the functions reach GitLab over the internet, so it must be reachable from AWS (https)",
  });
};

const checkVersion = (version: string, parsed: readonly number[] | undefined): CheckResult => {
  if (!parsed)
    return warn("gitlab.version", "version", {
      saw: `cannot read version "${version}"`,
      fix: "the control plane needs GitLab 16.1 or later",
    });
  const missing = GITLAB_FEATURES.filter(({ since }) => !versionAtLeast(parsed, since));
  if (missing.length === 0)
    return pass("gitlab.version", "version", `${version} has every feature used (16.1+)`);
  const saw = `${version} lacks ${missing.map(({ feature, since, below }) => `${feature} (${since}; ${below})`).join("; ")}`;
  const fix = "upgrade GitLab to 17.1 or later";
  const docs = "https://docs.gitlab.com/update/";
  return missing.some(({ required }) => required)
    ? fail("gitlab.version", "version", { saw, fix, docs })
    : warn("gitlab.version", "version", { saw, fix, docs });
};
