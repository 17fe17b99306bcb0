import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoRunnerStore, type GitlabModelJob } from "@ger/core";
import type { RunnerRecord } from "@ger/core/types";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runningClock } from "../../../test/support/clock";
import { freePort, type LocalStack, loadLocalSettings, startLocalStack } from "../src/index";

const TABLE = "lookahead-e2e";
const clock = runningClock();
let stack: LocalStack;
let client: DynamoDBClient;
let runners: DynamoRunnerStore;

beforeAll(async () => {
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
  stack = await startLocalStack(
    loadLocalSettings({
      PORT: String(await freePort()),
      TABLE_NAME: TABLE,
      SIM_BOOT_DELAY_MS: "300",
      SIM_CHECK_INTERVAL_MS: "100",
      SCALER_SCHEDULE_SECONDS: "1",
      REAPER_SCHEDULE_SECONDS: "1",
      // One untagged pool with lookahead on, launching 6 s ahead of a stage's estimated start: room
      // for slow scaler passes when the whole suite runs.
      AUTOSCALER_CONFIG: "test/support/lookahead-e2e.config.json",
    }),
    { clock },
  );
  client = new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    ...stack.dynamodbClientSettings,
  });
  runners = new DynamoRunnerStore(DynamoDBDocumentClient.from(client), TABLE);
});
afterAll(async () => {
  client.destroy();
  await stack.stop();
});

const double = () => stack.edges.double!;

/** A build stage of one 10 s job, then a test stage of one 1 s job, made in the GitLab double. */
const makePipeline = async (): Promise<{ build: number; test: number }> => {
  const response = await fetch(`${double().url}/-/pipelines`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      projectId: 31,
      stages: [
        { name: "build", jobs: [{ name: "compile", durationSeconds: 10 }] },
        { name: "test", jobs: [{ name: "unit", durationSeconds: 1 }] },
      ],
    }),
  });
  expect(response.status).toBe(201);
  const { jobs } = (await response.json()) as { jobs: { id: number; stage: string }[] };
  const idOf = (stage: string) => jobs.find((job) => job.stage === stage)!.id;
  return { build: idOf("build"), test: idOf("test") };
};

const jobOf = (id: number): GitlabModelJob => double().model.jobs.get(id)!;

const waitFor = async (condition: () => boolean, seconds: number) => {
  const deadline = Date.now() + seconds * 1000;
  while (!condition() && Date.now() < deadline) await sleep(100);
  return condition();
};

describe("pipeline lookahead (local stack: DynamoDB Local, GitLab double, simulated EC2)", () => {
  it("has a later stage's runner polling before the earlier stage ends", async () => {
    // A first run of the pipeline teaches the jobs' durations (the webhook records successes).
    const first = await makePipeline();
    expect(await waitFor(() => jobOf(first.test).status === "success", 30)).toBe(true);

    // The runner that takes the test job, as the control plane records it at that moment.
    let ranOn: Promise<RunnerRecord | undefined> | undefined;
    const second = await makePipeline();
    double().model.on("job", (job) => {
      if (job.id !== second.test || job.status !== "running" || ranOn) return;
      const gitlabRunnerId = job.runnerId;
      ranOn = runners
        .listLive()
        .then((live) => live.find((runner) => runner.gitlabRunnerId === gitlabRunnerId));
    });
    expect(await waitFor(() => jobOf(second.test).status === "success", 30)).toBe(true);

    const build = jobOf(second.build);
    const test = jobOf(second.test);
    const buildEnd = build.finishedAt!.getTime();
    const runner = await ranOn;
    expect(runner).toMatchObject({ startedAhead: true });
    // Launched before the build ended, and took the test job within seconds of its release.
    expect(Date.parse(runner!.createdAt)).toBeLessThan(buildEnd);
    expect(test.startedAt!.getTime() - buildEnd).toBeLessThan(3_000);
  }, 90_000);
});
