import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { projectHookToken } from "@ger/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runHookToken } from "../src/commands/hook-token";
import { UsageError } from "../src/table-target";

const MASTER = "cli-project-tokens-master-012345";
const PER_PROJECT_SECRET = JSON.stringify({ token: MASTER, projectTokens: true });
const SECRET_ARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:webhook-AbCdEf";
const secretsManager = mockClient(SecretsManagerClient);

let stdout: string[];
let stderr: string[];
beforeEach(() => {
  secretsManager.reset();
  stdout = [];
  stderr = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => stdout.push(line));
  vi.spyOn(console, "error").mockImplementation((line: string) => stderr.push(line));
});
afterEach(() => vi.restoreAllMocks());

describe("cli hook-token", () => {
  it("prints project 42's token, derived from the master in WEBHOOK_SECRET, and nothing else", async () => {
    await runHookToken({ project: "42" }, { WEBHOOK_SECRET: PER_PROJECT_SECRET });

    expect(stdout).toEqual([projectHookToken(MASTER, 42)]);
    expect(stderr).toEqual([]);
  });

  it("reads the secret from Secrets Manager with --secret-id", async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      ARN: SECRET_ARN,
      Name: "webhook",
      SecretString: PER_PROJECT_SECRET,
      VersionId: "f1b2c3d4-0000-4000-8000-000000000000",
      VersionStages: ["AWSCURRENT"],
      CreatedDate: new Date("2026-01-01T00:00:00Z"),
    });

    await runHookToken(
      { project: "7", secretId: SECRET_ARN },
      { WEBHOOK_SECRET: "not-this-one-when-a-secret-id-is-given" },
    );

    expect(stdout).toEqual([projectHookToken(MASTER, 7)]);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it("refuses a binary secret, which cannot be the webhook secret", async () => {
    secretsManager.on(GetSecretValueCommand).resolves({
      ARN: SECRET_ARN,
      Name: "webhook",
      SecretBinary: new Uint8Array([1, 2, 3]),
      VersionId: "f1b2c3d4-0000-4000-8000-000000000000",
      VersionStages: ["AWSCURRENT"],
      CreatedDate: new Date("2026-01-01T00:00:00Z"),
    });

    await expect(runHookToken({ project: "7", secretId: SECRET_ARN }, {})).rejects.toThrow(
      "binary",
    );
    expect(stdout).toEqual([]);
  });

  it("uses the local stack's default secret when given none, and says it is in shared mode", async () => {
    await runHookToken({ project: "42" }, {});

    expect(stdout).toEqual([projectHookToken("local-webhook-secret", 42)]);
    expect(stderr.join("\n")).toContain("the local stack's default secret");
    expect(stderr.join("\n")).toContain('"projectTokens": true');
  });

  it.each([
    ["no --project", undefined],
    ["a name", "my-group/my-project"],
    ["zero", "0"],
    ["a fraction", "4.2"],
  ])("refuses %s as the project", async (_, project) => {
    await expect(runHookToken({ project }, { WEBHOOK_SECRET: MASTER })).rejects.toThrow(UsageError);
    expect(stdout).toEqual([]);
  });
});
