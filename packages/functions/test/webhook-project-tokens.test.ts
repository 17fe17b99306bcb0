import {
  DynamoDemandStore,
  DynamoJobDurations,
  parseWebhookCredentials,
  projectHookToken,
  StaticWebhookCredentials,
} from "@ger/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manualClock } from "../../../test/support/clock";
import { createTestTable, type TestTable } from "../../../test/support/dynamodb";
import { gitlabHeaders, jobHook } from "../../../test/support/gitlab";
import { createObservability } from "../src/index";
import { createWebhookHandler } from "../src/webhook/handler";
import { apiEvent, captureEachTest, lambdaContext } from "./support";

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const output = captureEachTest();
const clock = manualClock();

const MASTER = "handler-project-tokens-master-01";
const GROUP_TOKEN = "handler-platform-group-token-012";
// The secret exactly as an operator stores it in Secrets Manager.
const SECRET = JSON.stringify({
  token: MASTER,
  projectTokens: true,
  groupHookTokens: [{ name: "platform-group", token: GROUP_TOKEN }],
});

const demand = () => new DynamoDemandStore(table.documentClient, table.tableName);

const post = async (body: string, token: string) => {
  const handler = createWebhookHandler(
    {
      demand: demand(),
      durations: new DynamoJobDurations(table.documentClient, table.tableName),
      credentials: new StaticWebhookCredentials(parseWebhookCredentials(SECRET)),
      clock,
    },
    createObservability("webhook"),
  );
  const headers = gitlabHeaders({ "x-gitlab-token": token });
  const result = await handler(apiEvent(body, headers), lambdaContext());
  return result.statusCode;
};

/** project `projectId`'s job `jobId`, as its hook would send it. */
const hook = (jobId: number, projectId: number) =>
  JSON.stringify(jobHook({ build_id: jobId, project_id: projectId, build_status: "pending" }));

const storedJob = async (jobId: number) =>
  (await demand().listJobs(clock.now())).find((job) => job.jobId === jobId);

const logged = () => output.lines().join("");

describe("webhook handler with per-project hook tokens (DynamoDB Local)", () => {
  it("records project 7's hook sent with project 7's token and logs which credential it was", async () => {
    const token = projectHookToken(MASTER, 7);

    expect(await post(hook(3001, 7), token)).toBe(200);
    expect(await storedJob(3001)).toMatchObject({ projectId: 7, status: "pending" });
    expect(logged()).toContain('"credential":"project:7"');
    expect(logged()).not.toContain(token);
    expect(logged()).not.toContain(MASTER);
  });

  it("answers 401 to project 7's token on a payload claiming project 42, storing nothing", async () => {
    const token = projectHookToken(MASTER, 7);

    expect(await post(hook(3002, 42), token)).toBe(401);
    expect(await storedJob(3002)).toBeUndefined();
    expect(await demand().listActiveProjects(new Date(0))).not.toContainEqual(
      expect.objectContaining({ projectId: 42 }),
    );
    expect(logged()).toContain('"reason":"invalid_token"');
    expect(logged()).not.toContain(token);
  });

  it("answers 401 to the master token itself", async () => {
    expect(await post(hook(3003, 7), MASTER)).toBe(401);
    expect(await storedJob(3003)).toBeUndefined();
    expect(logged()).not.toContain(MASTER);
  });

  it("records a group hook's job for any project and logs the group's name", async () => {
    expect(await post(hook(3004, 42), GROUP_TOKEN)).toBe(200);
    expect(await storedJob(3004)).toMatchObject({ projectId: 42 });
    expect(logged()).toContain('"credential":"group:platform-group"');
    expect(logged()).not.toContain(GROUP_TOKEN);
  });

  it("answers 401, not 400, to a malformed body sent with a project token", async () => {
    expect(await post('{"build_id": 3005, "project_id": 7,', projectHookToken(MASTER, 7))).toBe(
      401,
    );
    expect(await storedJob(3005)).toBeUndefined();
  });
});
