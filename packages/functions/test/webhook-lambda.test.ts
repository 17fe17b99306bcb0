import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DynamoDemandStore } from "@ger/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createTestTable, dynamodbEndpoint, type TestTable } from "../../../test/support/dynamodb";
import { gitlabHeaders, jobHook, TEST_TOKEN } from "../../../test/support/gitlab";
import { apiEvent, captureOutput, lambdaContext } from "./support";

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:gitlab-webhook-Xy12Ab";
const secretsManager = mockClient(SecretsManagerClient);

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

beforeEach(() => {
  vi.resetModules();
  secretsManager.reset();
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
  // The SDK's own endpoint override: the real module-scope client, pointed at DynamoDB Local.
  vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamodbEndpoint());
});

describe("webhook Lambda entry point", () => {
  it("wires Secrets Manager and DynamoDB from its environment", async () => {
    vi.stubEnv("TABLE_NAME", table.tableName);
    vi.stubEnv("WEBHOOK_SECRET_ID", SECRET_ARN);
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      ARN: SECRET_ARN,
      Name: "gitlab-webhook",
      SecretString: JSON.stringify({ token: TEST_TOKEN }),
      VersionId: "v1",
      VersionStages: ["AWSCURRENT"],
    });
    const output = captureOutput();
    const { handler } = await import("../src/webhook/lambda");

    const results = [];
    for (const jobId of [3001, 3002]) {
      const raw = JSON.stringify(jobHook({ build_id: jobId, build_status: "pending" }));
      results.push(await handler(apiEvent(raw, gitlabHeaders()), lambdaContext()));
    }
    output.restore();

    expect(results.map((result) => result.statusCode)).toEqual([200, 200]);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    const jobs = await new DynamoDemandStore(table.documentClient, table.tableName).listJobs(
      new Date(),
    );
    expect(jobs.map((job) => [job.jobId, job.status])).toEqual(
      expect.arrayContaining([
        [3001, "pending"],
        [3002, "pending"],
      ]),
    );
  });

  it("fails its cold start naming the missing variables", async () => {
    vi.stubEnv("TABLE_NAME", undefined);
    vi.stubEnv("WEBHOOK_SECRET_ID", undefined);

    await expect(import("../src/webhook/lambda")).rejects.toThrow(
      "the webhook function is misconfigured: TABLE_NAME: is required; WEBHOOK_SECRET_ID: is required",
    );
  });
});
