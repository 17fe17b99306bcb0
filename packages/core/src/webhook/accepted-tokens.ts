import type { WebhookCredentials } from "./credentials";
import { projectHookToken } from "./project-hook-token";

export interface AcceptedToken {
  /**
   * What the logs say authenticated the request, never the token: `project:<id>`,
   * `group:<name>` or `shared`, with ` (previous)` when it comes from the previous token.
   */
  readonly credential: string;
  readonly token: string;
}

/** The hook's own tokens: the shared one, or the claimed project's derived from the master. */
const ownTokens = (
  { token, previousToken, projectTokens }: WebhookCredentials,
  claimedProjectId: number | undefined,
): AcceptedToken[] => {
  const secrets = [
    { secret: token, suffix: "" },
    ...(previousToken === undefined ? [] : [{ secret: previousToken, suffix: " (previous)" }]),
  ];
  if (!projectTokens) {
    return secrets.map(({ secret, suffix }) => ({ credential: `shared${suffix}`, token: secret }));
  }
  // A payload that names no project has no project token that could match.
  if (claimedProjectId === undefined) return [];
  return secrets.map(({ secret, suffix }) => ({
    credential: `project:${claimedProjectId}${suffix}`,
    token: projectHookToken(secret, claimedProjectId),
  }));
};

/**
 * Every token that may speak for the project the payload claims (undefined: it names none). With
 * project tokens the master itself is not among them; a group hook's token always is.
 */
export const acceptedTokens = (
  credentials: WebhookCredentials,
  claimedProjectId: number | undefined,
): AcceptedToken[] => [
  ...ownTokens(credentials, claimedProjectId),
  ...(credentials.groupHookTokens ?? []).map((group, index) => ({
    credential: `group:${group.name ?? index + 1}`,
    token: group.token,
  })),
];
