import type { RunnerScope } from "@ger/core/types";
import { message, type Reply } from "./reply";

/** A personal (or project, group) access token the double accepts. */
export interface DoubleToken {
  readonly token: string;
  readonly name: string;
  /** api, read_api, create_runner, manage_runner, read_user, ... */
  readonly scopes: readonly string[];
  /** YYYY-MM-DD: the token stops working at 00:00 UTC that day, as GitLab's do. */
  readonly expiresAt?: string;
  readonly revoked?: boolean;
  /** Its user is an administrator, who alone may create instance runners. */
  readonly instanceAdmin?: boolean;
  /** Where its user lacks the role to create runners (Owner of the group, of the project). */
  readonly deniedRunnerScopes?: readonly RunnerScope[];
}

/** A token as the double knows it: numbered, and each of its own user. */
export interface IssuedToken extends DoubleToken {
  readonly id: number;
  readonly userId: number;
}

export const issueTokens = (tokens: readonly DoubleToken[]): IssuedToken[] =>
  tokens.map((token, index) => ({ ...token, id: index + 1, userId: index + 1 }));

/** Rack::OAuth2's answer to a token GitLab found but will not take (lib/api/api_guard.rb). */
const invalidToken = (description: string): Reply => ({
  status: 401,
  body: { error: "invalid_token", error_description: description },
});

/** The caller's token, or GitLab's 401: unknown and missing alike, expired and revoked apart. */
export const authenticate = (
  tokens: readonly IssuedToken[],
  header: string | string[] | undefined,
  now: Date,
): { readonly token: IssuedToken } | { readonly refused: Reply } => {
  const token = tokens.find((candidate) => candidate.token === header);
  if (!token) return { refused: message(401, "401 Unauthorized") };
  if (token.revoked)
    return { refused: invalidToken("Token was revoked. You have to re-authorize from the user.") };
  if (token.expiresAt !== undefined && now >= new Date(`${token.expiresAt}T00:00:00Z`))
    return {
      refused: invalidToken(
        "Token is expired. You can either do re-authorization or token refresh.",
      ),
    };
  return { token };
};

const scopeKey = (scope: RunnerScope) =>
  scope.runnerType === "group_type"
    ? `group ${scope.groupId}`
    : scope.runnerType === "project_type"
      ? `project ${scope.projectId}`
      : "instance";

/** Whether the token's user has the role to create a runner there; GitLab answers 403 if not. */
export const mayCreateRunner = (token: IssuedToken, scope: RunnerScope): boolean =>
  (scope.runnerType !== "instance_type" || token.instanceAdmin === true) &&
  !(token.deniedRunnerScopes ?? []).some((denied) => scopeKey(denied) === scopeKey(scope));

/** GET /personal_access_tokens/self (Entities::PersonalAccessTokenWithLastUsedIps). */
export const tokenResource = (token: IssuedToken, createdAt: Date, now: Date) => ({
  id: token.id,
  name: token.name,
  // A revoked or expired token is refused before it gets here.
  revoked: false,
  created_at: createdAt.toISOString(),
  description: null,
  scopes: token.scopes,
  user_id: token.userId,
  last_used_at: now.toISOString(),
  active: true,
  expires_at: token.expiresAt ?? null,
  last_used_ips: ["127.0.0.1"],
});
