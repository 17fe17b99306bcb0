import {
  DynamoDemandStore,
  DynamoJobDurations,
  StaticWebhookCredentials,
  systemClock,
} from "@ger/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestTable, type TestTable } from "../../../test/support/dynamodb";
import {
  docsJobHook,
  gitlabHeaders,
  jobHook,
  minimalJobHook,
  signatureHeaders,
  TEST_SIGNING_KEY,
  TEST_TOKEN,
} from "../../../test/support/gitlab";
import { createObservability } from "../src/index";
import { createWebhookHandler } from "../src/webhook/handler";
import { apiEvent, captureEachTest, emittedMetrics, lambdaContext } from "./support";

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const output = captureEachTest();

const handlerWith = (credentials = new StaticWebhookCredentials({ token: TEST_TOKEN })) =>
  createWebhookHandler(
    {
      demand: new DynamoDemandStore(table.documentClient, table.tableName),
      durations: new DynamoJobDurations(table.documentClient, table.tableName),
      credentials,
      clock: systemClock,
    },
    createObservability("webhook"),
  );

const post = async (
  body: unknown,
  headers: Record<string, string | undefined> = {},
  handler = handlerWith(),
) => {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const result = await handler(apiEvent(raw, gitlabHeaders(headers)), lambdaContext());
  return {
    statusCode: result.statusCode,
    body: JSON.parse(result.body ?? "{}"),
    headers: result.headers,
  };
};

const jobStatus = async (jobId: number) => {
  const jobs = await new DynamoDemandStore(table.documentClient, table.tableName).listJobs(
    new Date(),
  );
  return jobs.find((job) => job.jobId === jobId)?.status;
};

describe("webhook handler (API Gateway v2 → DynamoDB Local)", () => {
  it("records GitLab's documented Job Hook", async () => {
    const response = await post(docsJobHook());

    expect(response).toEqual({
      statusCode: 200,
      headers: { "content-type": "application/json" },
      body: { status: "recorded", jobId: 1977, jobStatus: "created" },
    });
    expect(await jobStatus(1977)).toBe("created");
  });

  it("follows a job through every status in order", async () => {
    for (const status of ["created", "pending", "running", "success"]) {
      const response = await post(jobHook({ build_id: 2001, build_status: status }));
      expect(response.body).toMatchObject({ status: "recorded", jobStatus: status });
    }
    expect(await jobStatus(2001)).toBe("success");
  });

  it("keeps running when a late pending arrives", async () => {
    await post(jobHook({ build_id: 2002, build_status: "running" }));

    const late = await post(jobHook({ build_id: 2002, build_status: "pending" }));

    expect(late).toMatchObject({ statusCode: 200, body: { status: "unchanged" } });
    expect(await jobStatus(2002)).toBe("running");
  });

  it("treats a redelivery with the same Idempotency-Key as a no-op", async () => {
    const headers = { "idempotency-key": "9a0d1e6c-0000-4000-8000-000000000001" };
    await post(jobHook({ build_id: 2003, build_status: "pending" }), headers);

    const again = await post(jobHook({ build_id: 2003, build_status: "pending" }), headers);

    expect(again.body).toMatchObject({ status: "unchanged" });
  });

  it("records a retried job as a new job and leaves the original alone", async () => {
    await post(jobHook({ build_id: 2004, build_status: "failed" }));

    await post(jobHook({ build_id: 2005, build_status: "pending", retries_count: 1 }));

    expect([await jobStatus(2004), await jobStatus(2005)]).toEqual(["failed", "pending"]);
  });

  it("records a hook from an old GitLab with only the required fields", async () => {
    const response = await post(minimalJobHook(2006, "pending"));

    expect(response.statusCode).toBe(200);
    expect(await jobStatus(2006)).toBe("pending");
  });

  it("keeps ids above 2^31 exact end to end", async () => {
    await post(jobHook({ build_id: 4_294_967_297, build_status: "pending" }));

    expect(await jobStatus(4_294_967_297)).toBe("pending");
  });

  it("decodes a base64-encoded body", async () => {
    const raw = JSON.stringify(jobHook({ build_id: 2007, build_status: "pending" }));

    const result = await handlerWith()(apiEvent(raw, gitlabHeaders(), true), lambdaContext());

    expect(result.statusCode).toBe(200);
    expect(await jobStatus(2007)).toBe("pending");
  });

  it("normalises header case as GitLab may send it", async () => {
    const headers = {
      "Content-Type": "application/json",
      "X-Gitlab-Event": "Job Hook",
      "X-Gitlab-Token": TEST_TOKEN,
    };
    const raw = JSON.stringify(jobHook({ build_id: 2008 }));

    const result = await handlerWith()(apiEvent(raw, headers), lambdaContext());

    expect(result.statusCode).toBe(200);
  });

  it("refuses a wrong token with 401, stores nothing, and never logs the token", async () => {
    const wrongToken = "an-attacker-guess-0000000000000";

    const response = await post(jobHook({ build_id: 2009 }), { "x-gitlab-token": wrongToken });

    expect(response.statusCode).toBe(401);
    expect(await jobStatus(2009)).toBeUndefined();
    const logged = output.lines().join("");
    expect(logged).toContain('"reason":"invalid_token"');
    expect(logged).not.toContain(wrongToken);
    expect(logged).not.toContain(TEST_TOKEN);
  });

  it("logs that the shared token authenticated it, never the token itself", async () => {
    await post(jobHook({ build_id: 2010 }));

    expect(output.lines().join("")).toContain('"outcome":"recorded"');
    expect(output.lines().join("")).toContain('"credential":"shared"');
    expect(output.lines().join("")).not.toContain(TEST_TOKEN);
  });

  it("answers a push event 200 and stores nothing", async () => {
    const response = await post(
      { object_kind: "push", project_id: 1 },
      { "x-gitlab-event": "Push Hook" },
    );

    expect(response).toMatchObject({ statusCode: 200, body: { status: "ignored" } });
  });

  it("requires a valid signature when a signing key is configured", async () => {
    const handler = handlerWith(
      new StaticWebhookCredentials({ token: TEST_TOKEN, signingKey: TEST_SIGNING_KEY }),
    );
    const raw = JSON.stringify(jobHook({ build_id: 2011 }));

    const unsigned = await post(raw, {}, handler);
    const signed = await post(raw, signatureHeaders(raw), handler);

    expect([unsigned.statusCode, signed.statusCode]).toEqual([401, 200]);
  });

  it("emits EMF metrics: requests, and jobs received by status", async () => {
    await post(jobHook({ build_id: 2012, build_status: "pending" }));

    expect(emittedMetrics(output.lines()).map((metric) => metric.name)).toEqual(
      expect.arrayContaining(["WebhookRequests", "JobEventsReceived"]),
    );
    expect(output.emitted("JobEventsReceived")[0]).toMatchObject({
      Status: "pending",
      JobEventsReceived: 1,
      service: "webhook",
    });
  });

  it("emits an auth-failure metric by reason", async () => {
    await post(jobHook(), { "x-gitlab-token": undefined });

    expect(output.emitted("WebhookAuthFailures")[0]).toMatchObject({
      Reason: "missing_token",
      WebhookAuthFailures: 1,
    });
  });

  it("answers 503 with a JSON error when the secret is not configured", async () => {
    const unconfigured = {
      current: async () => {
        const { ConfigurationError } = await import("@ger/core");
        throw new ConfigurationError("the webhook secret has no value yet");
      },
      refreshed: async () => undefined,
    };

    const response = await post(jobHook(), {}, handlerWith(unconfigured as never));

    expect(response).toMatchObject({ statusCode: 503, body: { error: "not_configured" } });
  });

  it("answers 500 without internals when DynamoDB fails", async () => {
    const handler = createWebhookHandler(
      {
        demand: new DynamoDemandStore(table.documentClient, "no-such-table"),
        durations: new DynamoJobDurations(table.documentClient, "no-such-table"),
        credentials: new StaticWebhookCredentials({ token: TEST_TOKEN }),
        clock: systemClock,
      },
      createObservability("webhook"),
    );

    const response = await post(jobHook(), {}, handler);

    expect(response).toEqual({
      statusCode: 500,
      headers: { "content-type": "application/json" },
      body: { error: "internal_error", message: "the request could not be processed" },
    });
    expect(output.lines().join("")).toContain("ResourceNotFoundException");
  });
});
