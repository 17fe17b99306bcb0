import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";

const FIXTURES = fileURLToPath(new URL("../fixtures/gitlab/", import.meta.url));

/** The Job Hook from GitLab's documentation, as GitLab sent it. */
export const docsJobHook = (): Record<string, unknown> =>
  JSON.parse(readFileSync(`${FIXTURES}job-hook-docs-example.json`, "utf8"));

/** The documented Job Hook for another job or status, with any field replaced or removed (undefined). */
export const jobHook = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
  const hook = { ...docsJobHook(), ...overrides };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete hook[key];
  return hook;
};

/** Older GitLab: only the fields every version sends. */
export const minimalJobHook = (jobId: number, status: string, projectId = 380) => ({
  object_kind: "build",
  build_id: jobId,
  build_status: status,
  project_id: projectId,
});

export const TEST_TOKEN = "test-webhook-token-0123456789";
export const TEST_SIGNING_KEY = `whsec_${Buffer.from("a-32-byte-signing-key-for-tests!").toString("base64")}`;

/** The headers GitLab sends with a Job Hook (lower-case, as API Gateway delivers them). */
export const gitlabHeaders = (
  overrides: Record<string, string | undefined> = {},
): Record<string, string> => {
  const headers: Record<string, string | undefined> = {
    "content-type": "application/json",
    "user-agent": "GitLab/17.6.0",
    "x-gitlab-event": "Job Hook",
    "x-gitlab-token": TEST_TOKEN,
    "x-gitlab-instance": "https://gitlab.example.com",
    "x-gitlab-webhook-uuid": crypto.randomUUID(),
    "x-gitlab-event-uuid": crypto.randomUUID(),
    "idempotency-key": crypto.randomUUID(),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
};

/** Standard Webhooks signature headers over `body`, as newer GitLab sends them. */
export const signatureHeaders = (
  body: string,
  { key = TEST_SIGNING_KEY, id = crypto.randomUUID(), at = new Date() } = {},
): Record<string, string> => ({
  "webhook-id": id,
  "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
  "webhook-signature": new Webhook(key).sign(id, at, body),
});
