import type { Reply } from "./reply";

/**
 * The scopes a route's endpoint class registers (allow_access_with_scope), and which of them hold
 * for the route, or "any" where every scope does. API::API adds `api` to every route, and
 * `read_api` to GET ones (lib/api/api.rb).
 */
export interface RouteScopes {
  readonly registered: readonly string[];
  readonly accepted: readonly string[] | "any";
}

const scopes = (registered: readonly string[], accepted = registered): RouteScopes => ({
  registered,
  accepted,
});

/** As GitLab 18 and 19 register them. */
export const SCOPES = {
  /** Endpoints with no scopes of their own: jobs, projects' groups, hooks. */
  api: scopes([]),
  /** API::UserRunners: POST /user/runners. */
  userRunners: scopes(["create_runner"]),
  /** API::Ci::Runners on /runners/:id…; manage_runner holds only there. */
  runner: scopes(["manage_runner"]),
  /** API::Ci::Runners' listings (/runners/all, groups', projects'): manage_runner does not hold. */
  runnerListing: scopes(["manage_runner"], []),
  /** API::Version. */
  version: scopes(["read_user", "ai_features"]),
  /** API::PersonalAccessTokens::SelfInformation: any token may see itself. */
  tokenSelf: { registered: [], accepted: "any" },
} as const satisfies Record<string, RouteScopes>;

/**
 * GitLab's 403 to a token without a scope the route takes: Rack::OAuth2's insufficient_scope,
 * naming every scope registered for the route (lib/api/api_guard.rb).
 */
export const scopeRefusal = (
  route: RouteScopes,
  method: string,
  tokenScopes: readonly string[],
): Reply | undefined => {
  if (route.accepted === "any") return undefined;
  const accepted = [...route.accepted, "api", ...(method === "GET" ? ["read_api"] : [])];
  if (tokenScopes.some((scope) => accepted.includes(scope))) return undefined;
  return {
    status: 403,
    body: {
      error: "insufficient_scope",
      error_description:
        "The request requires higher privileges than provided by the access token.",
      scope: [...route.registered, "api", "read_api"].join(" "),
    },
  };
};
