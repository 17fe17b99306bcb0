import * as v from "valibot";
import { ConfigurationError } from "../errors";

/** What authenticates GitLab: the hook's secret token and, optionally, its signing key. */
export interface WebhookCredentials {
  readonly token: string;
  /** Standard Webhooks key, `whsec_<base64>`; when set, every request must be signed with it. */
  readonly signingKey?: string;
}

const credentialsSchema = v.object({
  token: v.pipe(v.string(), v.minLength(1, "token must not be empty")),
  signingKey: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, "signingKey must look like whsec_<base64>"),
    ),
  ),
});

/**
 * Reads the webhook secret: either the bare token, or JSON `{"token": "…", "signingKey": "whsec_…"}`.
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
