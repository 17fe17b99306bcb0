import * as v from "valibot";
import { ConfigurationError } from "../errors";

/** What authenticates GitLab: the hook's secret token and, optionally, its signing key. */
export interface WebhookCredentials {
  readonly token: string;
  /** Standard Webhooks key, `whsec_<base64>`; when set, every request must be signed with it. */
  readonly signingKey?: string;
  /**
   * Still accepted while hooks are moved to a new token one by one (rotation without 401s); drop
   * it from the secret once every hook has the new one.
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

const credentialsSchema = v.strictObject({
  token: nonEmpty("token"),
  signingKey: v.optional(signingKey("signingKey")),
  previousToken: v.optional(nonEmpty("previousToken")),
  previousSigningKey: v.optional(signingKey("previousSigningKey")),
});

/**
 * Reads the webhook secret: either the bare token, or JSON `{"token": "…", "signingKey": "whsec_…",
 * "previousToken": "…", "previousSigningKey": "whsec_…"}` (all but token optional).
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
