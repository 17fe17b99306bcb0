import type { AccessTokenFacts } from "@ger/core/types";
import { type CheckResult, checksOf } from "./check";
import { versionAtLeast } from "./gitlab-versions";

const { pass, warn, fail } = checksOf("gitlab");

/** Warn this long before the token expires: enough to rotate it in an ordinary week. */
const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

const SCOPES_DOCS =
  "https://docs.gitlab.com/user/profile/personal_access_tokens/#personal-access-token-scopes";

/** The scopes the control plane's calls need (README, "GitLab versions and token scopes"). */
const neededScopes = (version: readonly number[] | undefined) => [
  { scope: "create_runner", use: "creating each job's runner" },
  // GitLab before 17.1 has no manage_runner: deleting runners takes api there.
  ...(version && !versionAtLeast(version, "17.1")
    ? []
    : [{ scope: "manage_runner", use: "deleting finished runners" }]),
  { scope: "read_api", use: "reading jobs, runners and hooks" },
];

const has = (token: AccessTokenFacts, scope: string) =>
  token.scopes.includes(scope) || token.scopes.includes("api");

export interface TokenCheckContext {
  readonly token: AccessTokenFacts;
  readonly version: readonly number[] | undefined;
  readonly now: Date;
  /** How to store a new token where the control plane reads it. */
  readonly replaceToken: string;
}

/** The token is alive, not about to expire, and has every scope the control plane's calls need. */
export const checkToken = ({
  token,
  version,
  now,
  replaceToken,
}: TokenCheckContext): CheckResult[] => {
  const name = `token "${token.name}"`;
  if (!token.active || token.revoked)
    return [
      fail("gitlab.token", "token", {
        saw: `${name} is ${token.revoked ? "revoked" : "inactive (expired)"}`,
        fix: `create a new token with the scopes create_runner, manage_runner, read_api and api, then ${replaceToken}`,
        docs: SCOPES_DOCS,
      }),
    ];
  const results: CheckResult[] = [];
  const missing = neededScopes(version).filter(({ scope }) => !has(token, scope));
  const scopes = `scopes ${token.scopes.join(", ") || "(none)"}`;
  results.push(
    missing.length === 0
      ? pass("gitlab.token.scopes", "token scopes", `${name} has ${scopes}`)
      : fail("gitlab.token.scopes", "token scopes", {
          saw: `${name} has ${scopes}; missing ${missing.map(({ scope, use }) => `${scope} (${use})`).join(", ")}`,
          fix: `create a token with ${[...new Set([...token.scopes, ...missing.map(({ scope }) => scope)])].join(", ")}, then ${replaceToken}`,
          docs: SCOPES_DOCS,
        }),
  );
  if (!token.scopes.includes("api"))
    results.push(
      warn("gitlab.token.retry", "job retries", {
        saw: `${name} lacks the api scope: jobs a spot interruption kills are not retried`,
        fix: `add the api scope if you want them retried (POST /projects/:id/jobs/:id/retry needs it), then ${replaceToken}`,
        docs: SCOPES_DOCS,
      }),
    );
  results.push(expiry(token, name, now, replaceToken));
  return results;
};

const expiry = (
  token: AccessTokenFacts,
  name: string,
  now: Date,
  replaceToken: string,
): CheckResult => {
  if (!token.expiresAt) return pass("gitlab.token.expiry", "token expiry", `${name} never expires`);
  // GitLab's expires_at is a date: the token stops working at 00:00 UTC that day.
  const daysLeft = Math.floor(
    (Date.parse(`${token.expiresAt}T00:00:00Z`) - now.getTime()) / DAY_MS,
  );
  const saw = `${name} expires on ${token.expiresAt} at 00:00 UTC (in ${daysLeft} days)`;
  if (daysLeft >= EXPIRY_WARNING_DAYS) return pass("gitlab.token.expiry", "token expiry", saw);
  return warn("gitlab.token.expiry", "token expiry", {
    saw,
    fix: `rotate it before then (GitLab: the token's Rotate button, or POST /personal_access_tokens/self/rotate), then ${replaceToken}`,
    docs: "https://docs.gitlab.com/api/personal_access_tokens/#rotate-a-personal-access-token",
  });
};
