import * as v from "valibot";
import { ConfigurationError } from "../errors";

/** A group hook's own token: the payload names no group to derive one from, so it is listed. */
export interface GroupHookToken {
  /** Only for logs (`group:<name>`); an unnamed one is logged by its position, from 1. */
  readonly name?: string;
  readonly token: string;
}

/** What authenticates GitLab: the hooks' secret tokens and, optionally, their signing key. */
export interface WebhookCredentials {
  /**
   * Shared mode (the default): the one token every hook sends. With `projectTokens`, the master
   * each project hook's token is derived from; then it is never accepted itself.
   */
  readonly token: string;
  /**
   * Each project hook sends its own token, `projectHookToken(token, projectId)`, checked against
   * the project_id the payload claims: one project's hook cannot speak for another.
   */
  readonly projectTokens?: boolean;
  /** Accepted for any project: what a group hook, which covers many projects, needs. */
  readonly groupHookTokens?: readonly GroupHookToken[];
  /** Standard Webhooks key, `whsec_<base64>`; when set, every request must be signed with it. */
  readonly signingKey?: string;
  /**
   * Still accepted while hooks are moved to a new token one by one (rotation without 401s); drop
   * it from the secret once every hook has the new one. With `projectTokens`, the previous master:
   * the tokens derived from it are accepted.
   */
  readonly previousToken?: string;
  /** Likewise for the signing key: a signature by either key is accepted. */
  readonly previousSigningKey?: string;
}

const nonEmpty = (field: string) =>
  v.pipe(v.string(), v.minLength(1, `${field} must not be empty`));
const signingKey = (field: string) =>
  v.pipe(
    v.string(),
    v.regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, `${field} must look like whsec_<base64>`),
  );

const credentialsFields = v.strictObject({
  token: nonEmpty("token"),
  projectTokens: v.optional(v.boolean("projectTokens must be true or false")),
  // Own messages: valibot's default would quote the value, here perhaps a bare token.
  groupHookTokens: v.optional(
    v.array(
      v.strictObject(
        { name: v.optional(nonEmpty("name")), token: nonEmpty("token") },
        'each group hook token must be {"name": "…", "token": "…"}',
      ),
      "groupHookTokens must be a list",
    ),
  ),
  signingKey: v.optional(signingKey("signingKey")),
  previousToken: v.optional(nonEmpty("previousToken")),
  previousSigningKey: v.optional(signingKey("previousSigningKey")),
});

/**
 * One project's token and id let its holder test guesses at the master offline, and the master
 * gives every project's token: with project tokens it must be random, not a password.
 */
const MIN_MASTER_LENGTH = 32;
type CredentialsFields = v.InferOutput<typeof credentialsFields>;
const randomMaster = (field: "token" | "previousToken") =>
  v.forward(
    v.check(
      (secret: CredentialsFields) =>
        !secret.projectTokens || (secret[field]?.length ?? MIN_MASTER_LENGTH) >= MIN_MASTER_LENGTH,
      `${field} must be at least ${MIN_MASTER_LENGTH} random characters with projectTokens (openssl rand -hex 32)`,
    ),
    [field],
  );

const credentialsSchema = v.pipe(
  credentialsFields,
  randomMaster("token"),
  randomMaster("previousToken"),
);

/**
 * Reads the webhook secret: either the bare token (shared mode), or JSON `{"token": "…",
 * "projectTokens": true, "groupHookTokens": [{"name": "…", "token": "…"}], "signingKey":
 * "whsec_…", "previousToken": "…", "previousSigningKey": "whsec_…"}` (all but token optional).
 * The message never echoes the value.
 */
export const parseWebhookCredentials = (raw: string): WebhookCredentials => {
  const trimmed = raw.trim();
  if (!trimmed.startsWith("{")) {
    if (trimmed.length === 0) throw new ConfigurationError("the webhook secret is empty");
    return { token: trimmed };
  }
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch (cause) {
    throw new ConfigurationError("the webhook secret starts with '{' but is not valid JSON", {
      cause,
    });
  }
  const parsed = v.safeParse(credentialsSchema, json);
  if (!parsed.success) {
    const fields = parsed.issues.map(
      (issue) => `${v.getDotPath(issue) ?? "secret"}: ${issue.message}`,
    );
    throw new ConfigurationError(`the webhook secret is malformed: ${fields.join("; ")}`);
  }
  return parsed.output;
};
