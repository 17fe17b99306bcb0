import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDemandStore } from "@ger/core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runningClock } from "../../../test/support/clock";
import { freePort, type LocalStack, loadLocalSettings, startLocalStack } from "../src/index";

const clock = runningClock();
let stack: LocalStack;
beforeAll(async () => {
  // Read when the stack's loggers and metrics are made, just below.
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
  stack = await startLocalStack(
    loadLocalSettings({
      PORT: String(await freePort()),
      TABLE_NAME: "lost-webhook",
      SIM_BOOT_DELAY_MS: "200",
      SIM_CHECK_INTERVAL_MS: "100",
      REAPER_SCHEDULE_SECONDS: "1",
      // The tests' pools (no office-hours policy), not the shipped example.
      AUTOSCALER_CONFIG: "test/support/e2e.config.json",
    }),
    { clock },
  );
});
afterAll(() => stack.stop());

const jobStatus = async (jobId: number) => {
  const client = new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    ...stack.dynamodbClientSettings,
  });
  const jobs = await new DynamoDemandStore(
    DynamoDBDocumentClient.from(client),
    "lost-webhook",
  ).listJobs(clock.now());
  client.destroy();
  return jobs.find((job) => job.jobId === jobId)?.status;
};

const waitFor = async (condition: () => Promise<boolean>, seconds: number) => {
  const deadline = Date.now() + seconds * 1000;
  while (!(await condition()) && Date.now() < deadline) await sleep(200);
  return condition();
};

describe("a dropped webhook (local stack: DynamoDB Local, GitLab double, simulated EC2)", () => {
  it("is recovered by reconciliation and its job still runs", async () => {
    const double = stack.edges.double!;
    const first = double.model.enqueue({ projectId: 9, tags: ["linux"], durationSeconds: 1 });
    expect(await waitFor(async () => (await jobStatus(first.id)) === "success", 20)).toBe(true);

    // GitLab drops every hook of the next job (as over its rate limit).
    double.webhooks!.enabled = false;
    const lost = double.model.enqueue({ projectId: 9, tags: ["linux"], durationSeconds: 1 });

    expect(await waitFor(async () => (await jobStatus(lost.id)) !== undefined, 10)).toBe(true);
    expect(
      await waitFor(async () => double.model.jobs.get(lost.id)?.status === "success", 20),
    ).toBe(true);
  });
});
