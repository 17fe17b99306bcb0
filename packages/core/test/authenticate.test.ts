import type { AuthFailure, WebhookCredentials } from "@ger/core/types";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  gitlabHeaders,
  signatureHeaders,
  TEST_SIGNING_KEY,
  TEST_TOKEN,
} from "../../../test/support/gitlab";
import {
  authenticate,
  ConfigurationError,
  parseWebhookCredentials,
  tokensMatch,
} from "../src/index";

const body = JSON.stringify({ object_kind: "build", build_id: 1 });
const tokenOnly = { token: TEST_TOKEN };
const signed = { token: TEST_TOKEN, signingKey: TEST_SIGNING_KEY };

/** Why authenticate refuses the request (the payload claims no project), or undefined if it accepts. */
const refusal = (
  credentials: WebhookCredentials,
  headers: Record<string, string | undefined>,
  raw: string,
): AuthFailure | undefined => {
  const result = authenticate(credentials, headers, raw, undefined);
  return result.kind === "unauthorized" ? result.reason : undefined;
};

describe("tokensMatch", () => {
  it.each([
    ["the same token", TEST_TOKEN, true],
    ["another token", "another-token-of-similar-size", false],
    ["a prefix", TEST_TOKEN.slice(0, 10), false],
    ["a longer token", `${TEST_TOKEN}x`, false],
    ["an empty token", "", false],
  ])("with %s: %s", (_, provided, expected) => {
    expect(tokensMatch(TEST_TOKEN, provided)).toBe(expected);
  });
});

describe("authenticate", () => {
  it("accepts the right token", () => {
    expect(refusal(tokenOnly, gitlabHeaders(), body)).toBeUndefined();
  });

  it("refuses a missing token", () => {
    expect(refusal(tokenOnly, gitlabHeaders({ "x-gitlab-token": undefined }), body)).toBe(
      "missing_token",
    );
  });

  it("refuses a wrong token", () => {
    expect(refusal(tokenOnly, gitlabHeaders({ "x-gitlab-token": "nope" }), body)).toBe(
      "invalid_token",
    );
  });

  describe("with a signing key", () => {
    beforeEach(() => vi.useFakeTimers({ now: new Date("2026-06-01T10:00:00Z") }));
    afterEach(() => vi.useRealTimers());

    it("accepts a valid Standard Webhooks signature", () => {
      const headers = { ...gitlabHeaders(), ...signatureHeaders(body) };

      expect(refusal(signed, headers, body)).toBeUndefined();
    });

    it("requires the signature even when the token is right", () => {
      expect(refusal(signed, gitlabHeaders(), body)).toBe("missing_signature");
    });

    it("refuses a body changed after signing", () => {
      const headers = { ...gitlabHeaders(), ...signatureHeaders(body) };

      expect(refusal(signed, headers, body.replace("1", "2"))).toBe("invalid_signature");
    });

    it("refuses a signature made with another key", () => {
      const otherKey = `whsec_${Buffer.from("another-32-byte-key-for-testing!").toString("base64")}`;
      const headers = { ...gitlabHeaders(), ...signatureHeaders(body, { key: otherKey }) };

      expect(refusal(signed, headers, body)).toBe("invalid_signature");
    });

    it.each([
      ["six minutes old", -6],
      ["six minutes ahead", 6],
    ])("refuses a timestamp %s", (_, minutes) => {
      const at = new Date(Date.now() + minutes * 60_000);
      const headers = { ...gitlabHeaders(), ...signatureHeaders(body, { at }) };

      expect(refusal(signed, headers, body)).toBe("signature_timestamp_out_of_window");
    });

    it("accepts a timestamp four minutes old", () => {
      const headers = {
        ...gitlabHeaders(),
        ...signatureHeaders(body, { at: new Date(Date.now() - 240_000) }),
      };

      expect(refusal(signed, headers, body)).toBeUndefined();
    });

    it("checks the token before the signature", () => {
      const headers = { ...gitlabHeaders({ "x-gitlab-token": "nope" }), ...signatureHeaders(body) };

      expect(refusal(signed, headers, body)).toBe("invalid_token");
    });
  });
});

describe("rotating the webhook secret one hook at a time", () => {
  const OLD_KEY = `whsec_${Buffer.from("the-previous-32-byte-signing-key").toString("base64")}`;
  const rotating = {
    token: "new-webhook-token-0123456789",
    previousToken: TEST_TOKEN,
    signingKey: TEST_SIGNING_KEY,
    previousSigningKey: OLD_KEY,
  };
  beforeEach(() => vi.useFakeTimers({ now: new Date("2026-06-01T10:00:00Z") }));
  afterEach(() => vi.useRealTimers());

  it("accepts a hook still on the previous token and key, and one already on the new ones", () => {
    const old = { ...gitlabHeaders(), ...signatureHeaders(body, { key: OLD_KEY }) };
    const moved = {
      ...gitlabHeaders({ "x-gitlab-token": rotating.token }),
      ...signatureHeaders(body),
    };

    expect(refusal(rotating, old, body)).toBeUndefined();
    expect(refusal(rotating, moved, body)).toBeUndefined();
  });

  it("refuses a token or a key that is neither the current nor the previous one", () => {
    const otherKey = `whsec_${Buffer.from("some-other-32-byte-signing-key!!").toString("base64")}`;

    expect(refusal(rotating, gitlabHeaders({ "x-gitlab-token": "stale" }), body)).toBe(
      "invalid_token",
    );
    expect(
      refusal(rotating, { ...gitlabHeaders(), ...signatureHeaders(body, { key: otherKey }) }, body),
    ).toBe("invalid_signature");
  });

  it("reads both from the secret, and refuses a field it does not know", () => {
    expect(parseWebhookCredentials(JSON.stringify(rotating))).toEqual(rotating);
    expect(() =>
      parseWebhookCredentials(JSON.stringify({ token: "t", previousTokn: "x" })),
    ).toThrow(ConfigurationError);
  });
});

describe("parseWebhookCredentials", () => {
  it("reads a bare token", () => {
    expect(parseWebhookCredentials(`  ${TEST_TOKEN}\n`)).toEqual({ token: TEST_TOKEN });
  });

  it("reads a JSON secret with a signing key", () => {
    expect(parseWebhookCredentials(JSON.stringify(signed))).toEqual(signed);
  });

  it.each([
    ["an empty secret", "", "empty"],
    ["broken JSON", "{token:", "not valid JSON"],
    ["JSON without a token", "{}", "token"],
    ["a signing key without whsec_", JSON.stringify({ token: "t", signingKey: "abc" }), "whsec_"],
  ])("explains %s without echoing it", (_, raw, fragment) => {
    const attempt = () => parseWebhookCredentials(raw);

    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(fragment);
  });
});
