import { createHash, timingSafeEqual } from "node:crypto";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import type { WebhookCredentials } from "./credentials";

export type AuthFailure =
  | "missing_token"
  | "invalid_token"
  | "missing_signature"
  | "invalid_signature"
  | "signature_timestamp_out_of_window";

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

/** Constant-time comparison; hashing first makes the time independent of the lengths too. */
export const tokensMatch = (expected: string, provided: string): boolean =>
  timingSafeEqual(digest(expected), digest(provided));

const SIGNATURE_HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;

const checkSignature = (
  signingKeys: readonly string[],
  headers: Readonly<Record<string, string | undefined>>,
  body: string,
): AuthFailure | undefined => {
  const signatureHeaders: Record<string, string> = {};
  for (const name of SIGNATURE_HEADERS) {
    const value = headers[name];
    if (!value) return "missing_signature";
    signatureHeaders[name] = value;
  }
  let failure: AuthFailure = "invalid_signature";
  for (const key of signingKeys) {
    try {
      // The library enforces Standard Webhooks' 5-minute tolerance on webhook-timestamp.
      new Webhook(key).verify(body, signatureHeaders, { jsonParse: false });
      return undefined;
    } catch (error) {
      if (
        error instanceof WebhookVerificationError &&
        /timestamp too (old|new)/.test(error.message)
      ) {
        failure = "signature_timestamp_out_of_window";
      }
    }
  }
  return failure;
};

/** Returns why a request is not from our GitLab hook, or undefined when it is. Headers are lower-case. */
export const authenticate = (
  credentials: WebhookCredentials,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: string,
): AuthFailure | undefined => {
  const token = headers["x-gitlab-token"];
  if (!token) return "missing_token";
  const accepted = [credentials.token, credentials.previousToken].filter(isSet);
  // Every candidate is compared, so the time taken does not tell which one (if any) matched.
  const matches = accepted.map((candidate) => tokensMatch(candidate, token));
  if (!matches.includes(true)) return "invalid_token";
  const signingKeys = [credentials.signingKey, credentials.previousSigningKey].filter(isSet);
  return signingKeys.length > 0 ? checkSignature(signingKeys, headers, rawBody) : undefined;
};

const isSet = (value: string | undefined): value is string => value !== undefined;
