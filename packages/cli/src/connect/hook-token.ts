import { projectHookToken } from "@ger/core";
import type { HookOwner, WebhookCredentials } from "@ger/core/types";

/** The name `connect` looks for among groupHookTokens: one token per group hook. */
export const groupHookTokenName = (groupId: number) => `group-${groupId}`;

export type HookTokenChoice =
  | { readonly kind: "token"; readonly token: string; readonly credential: string }
  | { readonly kind: "missing"; readonly reason: string; readonly fix: string };

/**
 * The secret token the owner's hook must send, as the webhook checks it: the shared token; with
 * projectTokens, the project's derived one, or the group's own listed token.
 */
export const hookTokenFor = (
  credentials: WebhookCredentials,
  owner: HookOwner,
  secretId: string,
): HookTokenChoice => {
  if (!credentials.projectTokens)
    return { kind: "token", token: credentials.token, credential: "shared" };
  if (owner.kind === "project")
    return {
      kind: "token",
      token: projectHookToken(credentials.token, owner.id),
      credential: `project:${owner.id}`,
    };
  const name = groupHookTokenName(owner.id);
  const listed = credentials.groupHookTokens?.find((entry) => entry.name === name);
  if (listed) return { kind: "token", token: listed.token, credential: `group:${name}` };
  return {
    kind: "missing",
    reason: `the webhook secret is in per-project mode and lists no group hook token named ${name}`,
    fix: `add one: aws secretsmanager get-secret-value --secret-id ${secretId} --query SecretString --output text | jq -c --arg t "$(openssl rand -hex 32)" '.groupHookTokens += [{name: "${name}", token: $t}]' > /tmp/secret.json && aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string file:///tmp/secret.json && rm /tmp/secret.json; then run connect again`,
  };
};
