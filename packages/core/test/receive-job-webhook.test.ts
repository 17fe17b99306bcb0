import type { WebhookCredentials, WebhookCredentialsSource, WebhookRequest } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { gitlabHeaders, jobHook, TEST_TOKEN } from "../../../test/support/gitlab";
import {
  InMemoryDemandStore,
  InMemoryJobDurations,
  MAX_WEBHOOK_BODY_BYTES,
  receiveJobWebhook,
  StaticWebhookCredentials,
  toWebhookResponse,
} from "../src/index";

const now = new Date("2026-06-01T10:00:00Z");
const clock = { now: () => now };

const setup = (
  credentials: WebhookCredentialsSource = new StaticWebhookCredentials({ token: TEST_TOKEN }),
) => {
  const demand = new InMemoryDemandStore();
  const durations = new InMemoryJobDurations();
  const receive = (request: WebhookRequest) =>
    receiveJobWebhook(request, { demand, durations, credentials, clock });
  return { demand, durations, receive };
};

const request = (
  body: unknown,
  headers: Record<string, string | undefined> = {},
): WebhookRequest => ({
  headers: gitlabHeaders(headers),
  body: typeof body === "string" ? body : JSON.stringify(body),
});

/** A source whose secret was rotated after it was cached. */
class RotatedCredentials implements WebhookCredentialsSource {
  refreshes = 0;
  constructor(
    private readonly cached: WebhookCredentials,
    private readonly fresh: WebhookCredentials,
  ) {}
  async current() {
    return this.cached;
  }
  async refreshed() {
    this.refreshes += 1;
    return this.fresh;
  }
}

describe("receiveJobWebhook", () => {
  it("records a job event and the project's activity", async () => {
    const { demand, receive } = setup();

    const outcome = await receive(request(jobHook({ build_status: "pending" })));

    expect(outcome).toMatchObject({ kind: "recorded", event: { jobId: 1977, status: "pending" } });
    expect(toWebhookResponse(outcome)).toEqual({
      statusCode: 200,
      body: { status: "recorded", jobId: 1977, jobStatus: "pending" },
    });
    expect(await demand.listJobs(now)).toMatchObject([{ jobId: 1977, status: "pending" }]);
    expect(await demand.listActiveProjects(new Date(0))).toEqual([
      { projectId: 380, lastJobEventAt: now.toISOString() },
    ]);
  });

  it("answers a redelivery (same Idempotency-Key) with 200 and changes nothing", async () => {
    const { demand, receive } = setup();
    const first = request(jobHook({ build_status: "running" }));
    await receive(first);
    const before = await demand.listJobs(now);

    const outcome = await receive(first);

    expect(outcome).toMatchObject({ kind: "unchanged", currentStatus: "running" });
    expect(toWebhookResponse(outcome).statusCode).toBe(200);
    expect(await demand.listJobs(now)).toEqual(before);
  });

  it("ignores other GitLab events with a 2xx so the hook stays enabled", async () => {
    const { demand, receive } = setup();

    const outcome = await receive(
      request({ object_kind: "push" }, { "x-gitlab-event": "Push Hook" }),
    );

    expect(toWebhookResponse(outcome)).toEqual({
      statusCode: 200,
      body: { status: "ignored", reason: "not_a_job_event", detail: "Push Hook" },
    });
    expect(await demand.listJobs(now)).toEqual([]);
  });

  it("ignores an unknown status with a 2xx", async () => {
    const { demand, receive } = setup();

    const outcome = await receive(request(jobHook({ build_status: "teleporting" })));

    expect(toWebhookResponse(outcome).statusCode).toBe(200);
    expect(outcome).toMatchObject({ kind: "ignored", reason: "unknown_status" });
    expect(await demand.listJobs(now)).toEqual([]);
  });

  it.each([
    ["no token", { "x-gitlab-token": undefined }, "missing_token"],
    ["a wrong token", { "x-gitlab-token": "wrong" }, "invalid_token"],
  ])("refuses %s with 401 and changes nothing", async (_, headers, reason) => {
    const { demand, receive } = setup();

    const outcome = await receive(request(jobHook(), headers));

    expect(outcome).toEqual({ kind: "unauthorized", reason });
    expect(toWebhookResponse(outcome)).toEqual({
      statusCode: 401,
      body: { error: "unauthorized", message: "invalid or missing credentials" },
    });
    expect(await demand.listJobs(now)).toEqual([]);
    expect(await demand.listActiveProjects(new Date(0))).toEqual([]);
  });

  it("authenticates before it looks at the event", async () => {
    const { receive } = setup();

    const outcome = await receive(
      request({}, { "x-gitlab-event": "Push Hook", "x-gitlab-token": "wrong" }),
    );

    expect(outcome.kind).toBe("unauthorized");
  });

  it("re-reads a rotated secret once and accepts the new token", async () => {
    const credentials = new RotatedCredentials({ token: "old-token" }, { token: TEST_TOKEN });
    const { receive } = setup(credentials);

    const outcome = await receive(request(jobHook()));

    expect(outcome.kind).toBe("recorded");
    expect(credentials.refreshes).toBe(1);
  });

  it.each([
    ["a body over the cap", "x".repeat(MAX_WEBHOOK_BODY_BYTES + 1), {}, 413, "payload_too_large"],
    [
      "a form body",
      "a=1",
      { "content-type": "application/x-www-form-urlencoded" },
      415,
      "unsupported_media_type",
    ],
    ["no content type", "{}", { "content-type": undefined }, 415, "unsupported_media_type"],
    ["malformed JSON", '{"object_kind":', {}, 400, "malformed_json"],
    ["no event header", "{}", { "x-gitlab-event": undefined }, 400, "missing_event_header"],
    [
      "a Job Hook without build_id",
      JSON.stringify(jobHook({ build_id: undefined })),
      {},
      422,
      "invalid_job_hook",
    ],
  ])(
    "refuses %s with a clear JSON error and stores nothing",
    async (_, body, headers, statusCode, error) => {
      const { demand, receive } = setup();

      const response = toWebhookResponse(await receive(request(body, headers)));

      expect(response.statusCode).toBe(statusCode);
      expect(response.body).toMatchObject({ error, message: expect.any(String) });
      expect(await demand.listJobs(now)).toEqual([]);
    },
  );

  it("names the missing field of an invalid Job Hook", async () => {
    const { receive } = setup();

    const response = toWebhookResponse(await receive(request(jobHook({ project_id: undefined }))));

    expect(response.body.issues).toEqual([expect.stringContaining("project_id:")]);
  });

  it("accepts application/json with a charset", async () => {
    const { receive } = setup();

    const outcome = await receive(
      request(jobHook(), { "content-type": "application/json; charset=utf-8" }),
    );

    expect(outcome.kind).toBe("recorded");
  });
});
