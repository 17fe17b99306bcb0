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
  signingKey: string,
  headers: Readonly<Record<string, string | undefined>>,
  body: string,
): AuthFailure | undefined => {
  const signatureHeaders: Record<string, string> = {};
  for (const name of SIGNATURE_HEADERS) {
    const value = headers[name];
    if (!value) return "missing_signature";
    signatureHeaders[name] = value;
  }
  try {
    // The library enforces Standard Webhooks' 5-minute tolerance on webhook-timestamp.
    new Webhook(signingKey).verify(body, signatureHeaders, { jsonParse: false });
    return undefined;
  } catch (error) {
    if (
      error instanceof WebhookVerificationError &&
      /timestamp too (old|new)/.test(error.message)
    ) {
      return "signature_timestamp_out_of_window";
    }
    return "invalid_signature";
  }
};

/** Returns why a request is not from our GitLab hook, or undefined when it is. Headers are lower-case. */
export const authenticate = (
  credentials: WebhookCredentials,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: string,
): AuthFailure | undefined => {
  const token = headers["x-gitlab-token"];
  if (!token) return "missing_token";
  if (!tokensMatch(credentials.token, token)) return "invalid_token";
  return credentials.signingKey
    ? checkSignature(credentials.signingKey, headers, rawBody)
    : undefined;
};
