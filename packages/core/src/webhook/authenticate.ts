import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { acceptedTokens } from "./accepted-tokens";
import type { WebhookCredentials } from "./credentials";
import { tokensMatch } from "./tokens-match";

export type AuthFailure =
  | "missing_token"
  | "invalid_token"
  | "missing_signature"
  | "invalid_signature"
  | "signature_timestamp_out_of_window";

/** `credential` names what matched (`project:7`, `group:platform`, `shared`), never the token. */
export type AuthResult =
  | { readonly kind: "authenticated"; readonly credential: string }
  | { readonly kind: "unauthorized"; readonly reason: AuthFailure };

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

const unauthorized = (reason: AuthFailure): AuthResult => ({ kind: "unauthorized", reason });

/**
 * Whether a request comes from one of our GitLab hooks, and which. `claimedProjectId` is the
 * project the payload speaks for (undefined when it names none): a project's own token only
 * authenticates a payload claiming that project. Headers are lower-case.
 */
export const authenticate = (
  credentials: WebhookCredentials,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: string,
  claimedProjectId: number | undefined,
): AuthResult => {
  const token = headers["x-gitlab-token"];
  if (!token) return unauthorized("missing_token");
  const accepted = acceptedTokens(credentials, claimedProjectId);
  // Every candidate is compared, so the time taken does not tell which one (if any) matched.
  const matches = accepted.map((candidate) => tokensMatch(candidate.token, token));
  const matched = accepted.find((_, index) => matches[index]);
  if (!matched) return unauthorized("invalid_token");
  const signingKeys = [credentials.signingKey, credentials.previousSigningKey].filter(isSet);
  const signatureFailure =
    signingKeys.length > 0 ? checkSignature(signingKeys, headers, rawBody) : undefined;
  return signatureFailure
    ? unauthorized(signatureFailure)
    : { kind: "authenticated", credential: matched.credential };
};

const isSet = (value: string | undefined): value is string => value !== undefined;
