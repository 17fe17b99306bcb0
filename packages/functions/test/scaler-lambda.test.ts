import { CreateFleetCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import {
  DeleteParameterCommand,
  GetParameterCommand,
  PutParameterCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { marshall } from "@aws-sdk/util-dynamodb";
import { DynamoDemandStore, DynamoRunnerStore } from "@ger/core";
import { type GitlabDouble, startGitlabDouble } from "@ger/local";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { SUNDAY_MORNING, WEEKDAY_OFFICE_HOURS } from "../../../test/support/clock";
import { createTestTable, dynamodbEndpoint, type TestTable } from "../../../test/support/dynamodb";
import { captureOutput, lambdaContext } from "./support";

// The function bundles the pools file: here it gets the tests' pools, not the shipped example.
vi.mock("../../../autoscaler.config", async () => {
  const { configInput: testPools } = await import("../../../test/support/config");
  return { default: testPools() };
});

const secretsManager = mockClient(SecretsManagerClient);
const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const GITLAB_SECRET =
  "arn:aws:secretsmanager:eu-central-1:123456789012:secret:gitlab-api-token-Ab12Cd";

let table: TestTable;
let gitlab: GitlabDouble;
beforeAll(async () => {
  gitlab = await startGitlabDouble();
});
// A table per case: each starts with no runners, whatever ran before it.
beforeEach(async () => {
  table = await createTestTable();
});
afterEach(async () => {
  await table.drop();
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  await gitlab.stop();
});

beforeEach(() => {
  vi.resetModules();
  // The function reads the system clock: it is set, only Date is faked, timers run for real.
  vi.useFakeTimers({ toFake: ["Date"], now: SUNDAY_MORNING });
  for (const mock of [secretsManager, ec2, ssm]) mock.reset();
  vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
  vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamodbEndpoint());
  vi.stubEnv("AWS_REGION", "eu-central-1");
  vi.stubEnv("AWS_ACCOUNT_ID", "123456789012");
  vi.stubEnv("TABLE_NAME", table.tableName);
  vi.stubEnv("GITLAB_TOKEN_SECRET_ID", GITLAB_SECRET);
  vi.stubEnv("GITLAB_URL", gitlab.url);
  vi.stubEnv(
    "LAUNCH_TEMPLATES",
    JSON.stringify({
      "linux-arm": { launchTemplateId: "lt-0a1b2c3d4e5f60718", version: "2" },
      gpu: { launchTemplateId: "lt-0f1e2d3c4b5a69788", version: "2" },
    }),
  );
  secretsManager.on(GetSecretValueCommand, { SecretId: GITLAB_SECRET }).resolves({
    ARN: GITLAB_SECRET,
    Name: "gitlab-api-token",
    SecretString: gitlab.adminToken,
    VersionStages: ["AWSCURRENT"],
  });
  // As many instances as asked for, as an instant fleet with capacity answers.
  ec2.on(CreateFleetCommand).callsFake(({ TargetCapacitySpecification }) => ({
    FleetId: "fleet-11111111-2222-3333-4444-555555555555",
    Instances: [
      {
        InstanceIds: Array.from(
          { length: TargetCapacitySpecification.TotalTargetCapacity },
          (_, index) => `i-0123456789abcdef${index}`,
        ),
        InstanceType: "t4g.large",
        Lifecycle: "spot",
      },
    ],
    Errors: [],
  }));
  // Parameter Store as far as the token hand-off uses it: put, read back, delete.
  const parameters = new Map<string, string>();
  ssm.on(PutParameterCommand).callsFake(({ Name, Value }) => {
    parameters.set(Name, Value);
    return { Version: 1, Tier: "Standard" };
  });
  ssm.on(GetParameterCommand).callsFake(({ Name }) => ({
    Parameter: { Name, Type: "SecureString", Value: parameters.get(Name) },
  }));
  ssm.on(DeleteParameterCommand).callsFake(({ Name }) => {
    parameters.delete(Name);
    return {};
  });
});

describe("scaler Lambda entry point", () => {
  it("turns a pending job into a GitLab runner, a granted token and an EC2 launch", async () => {
    const job = gitlab.model.enqueue({ projectId: 31, groupId: 42, tags: ["linux", "arm64"] });
    const demand = new DynamoDemandStore(table.documentClient, table.tableName);
    await demand.recordJobEvent(
      { jobId: job.id, projectId: 31, status: "pending" },
      SUNDAY_MORNING,
    );
    const output = captureOutput();
    const { handler } = await import("../src/scaler/lambda");

    const result = await handler({ source: "aws.scheduler" }, lambdaContext());
    output.restore();

    expect(result).toEqual({ launched: 1 });
    const [runner] = await new DynamoRunnerStore(table.documentClient, table.tableName).listLive();
    expect(runner).toMatchObject({
      pool: "linux-arm",
      state: "booting",
      instanceId: "i-0123456789abcdef0",
    });
    expect(gitlab.model.runners.get(runner!.gitlabRunnerId!)?.description).toBe(
      `ci-autoscaler/${runner!.name}`,
    );
    const fleet = ec2.commandCalls(CreateFleetCommand)[0]!.args[0].input;
    expect(fleet.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification).toEqual({
      LaunchTemplateId: "lt-0a1b2c3d4e5f60718",
      Version: "2",
    });
    expect(ssm.commandCalls(PutParameterCommand)[0]!.args[0].input).toMatchObject({
      Name: `/gitlab-runner-autoscaler/ci-autoscaler/runners/${runner!.name}`,
      Type: "SecureString",
    });
    // The grant: the token moves to the parameter named by the instance, readable by it alone.
    expect(ssm.commandCalls(PutParameterCommand)[1]!.args[0].input).toMatchObject({
      Name: "/gitlab-runner-autoscaler/ci-autoscaler/runners/instance/i-0123456789abcdef0",
      Tags: [
        {
          Key: "gitlab-runner-autoscaler:reader",
          Value: "arn:aws:ec2:eu-central-1:123456789012:instance/i-0123456789abcdef0",
        },
      ],
    });
  });

  it("starts the office-hours warm runners at an office-hours instant", async () => {
    vi.setSystemTime(WEEKDAY_OFFICE_HOURS);
    const job = gitlab.model.enqueue({ projectId: 31, groupId: 42, tags: ["linux", "arm64"] });
    const demand = new DynamoDemandStore(table.documentClient, table.tableName);
    await demand.recordJobEvent(
      { jobId: job.id, projectId: 31, status: "pending" },
      WEEKDAY_OFFICE_HOURS,
    );
    const output = captureOutput();
    const { handler } = await import("../src/scaler/lambda");

    const result = await handler({ source: "aws.scheduler" }, lambdaContext());
    output.restore();

    // The job's runner and the policy's idle_count of 2 (10:30 in Berlin on a weekday).
    expect(result).toEqual({ launched: 3 });
  });

  it("marks the runner busy from a stream record of the job it took", async () => {
    const runners = new DynamoRunnerStore(table.documentClient, table.tableName);
    const at = SUNDAY_MORNING.toISOString();
    const name = "linux-arm-busy";
    await runners.reserve(
      { name, pool: "linux-arm", state: "reserved", createdAt: at, updatedAt: at },
      { poolMaxInstances: 10, globalMaxInstances: 20 },
    );
    const runner = await runners.transition(
      name,
      ["reserved"],
      { state: "booting", gitlabRunnerId: 4242, instanceId: "i-0123456789abcdef0" },
      SUNDAY_MORNING,
    );
    const image = marshall({
      kind: "job",
      jobId: 77,
      projectId: 31,
      status: "running",
      runnerId: runner!.gitlabRunnerId,
    });
    const event: DynamoDBStreamEvent = {
      Records: [
        {
          eventName: "MODIFY",
          eventSource: "aws:dynamodb",
          dynamodb: { NewImage: image as never },
        },
      ],
    };
    const output = captureOutput();
    const { handler } = await import("../src/scaler/lambda");

    await handler(event, lambdaContext());
    output.restore();

    expect(
      await new DynamoRunnerStore(table.documentClient, table.tableName).get(runner!.name),
    ).toMatchObject({
      state: "busy",
      jobId: 77,
    });
  });

  it("fails its cold start naming what is missing or malformed", async () => {
    vi.stubEnv("LAUNCH_TEMPLATES", "{not json");
    vi.stubEnv("AWS_ACCOUNT_ID", undefined);

    await expect(import("../src/scaler/lambda")).rejects.toThrow(
      /the control plane \(scaler, reaper, EC2 events\) is misconfigured: LAUNCH_TEMPLATES: must be JSON; AWS_ACCOUNT_ID: is required/,
    );
  });
});
