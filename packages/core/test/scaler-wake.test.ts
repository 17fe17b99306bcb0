import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from "@aws-sdk/client-dynamodb-streams";
import { LOCAL_AWS_SETTINGS } from "@ger/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import { createTestTable, dynamodbEndpoint, type TestTable } from "../../../test/support/dynamodb";
import { hooksAlong } from "../../../test/support/lifecycles";
import {
  DynamoDemandStore,
  reportsRunnerProgress,
  SCALER_STREAM_FILTER_PATTERNS,
  scalerWantsRecord,
  wakesScaler,
} from "../src/index";

let table: TestTable;
let streams: DynamoDBStreamsClient;
beforeAll(async () => {
  table = await createTestTable();
  streams = new DynamoDBStreamsClient({ endpoint: dynamodbEndpoint(), ...LOCAL_AWS_SETTINGS });
});
afterAll(async () => {
  streams.destroy();
  await table.drop();
});

/** Every record the table's stream holds so far, read the way Lambda's poller reads it. */
const streamRecords = async (): Promise<StreamRecord[]> => {
  const { Table } = await table.client.send(
    new DescribeTableCommand({ TableName: table.tableName }),
  );
  const { StreamDescription } = await streams.send(
    new DescribeStreamCommand({ StreamArn: Table?.LatestStreamArn }),
  );
  const records: StreamRecord[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: Table?.LatestStreamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: "TRIM_HORIZON",
      }),
    );
    const page = await streams.send(new GetRecordsCommand({ ShardIterator }));
    records.push(...(page.Records ?? []));
  }
  return records;
};

/** One job's lifecycle with duplicates and a late event, and a project note, written once for every case. */
const writeLifecycle = async () => {
  const store = new DynamoDemandStore(table.documentClient, table.tableName);
  const [created, pending, running] = hooksAlong(77, 1, ["created", "pending", "running"]);
  const at = SUNDAY_MORNING;
  await store.recordJobEvent(created!, at);
  await store.recordJobEvent(pending!, at);
  await store.recordJobEvent(pending!, at);
  await store.recordJobEvent(created!, at);
  await store.recordJobEvent(running!, at);
  await store.noteProjectActivity(1, at);
};

describe("waking the scaler through the table stream", () => {
  beforeAll(writeLifecycle);

  it("emits one waking record when a job becomes pending, none for duplicates or other statuses", async () => {
    const jobRecords = (await streamRecords()).filter(
      (record) => record.dynamodb?.Keys?.pk?.S === "JOB#77",
    );
    expect(jobRecords.map((record) => record.dynamodb?.NewImage?.status?.S)).toEqual([
      "created",
      "pending",
      "running",
    ]);
    const waking = (await streamRecords()).filter((record) =>
      wakesScaler(record.dynamodb?.NewImage as never),
    );
    expect(waking.map((record) => record.dynamodb?.Keys?.pk?.S)).toEqual(["JOB#77"]);
    expect(waking[0]?.eventName).toBe("MODIFY");
  });

  it("flags the record of a job a runner took as runner progress", async () => {
    const records = (await streamRecords()).filter(
      (record) => record.dynamodb?.Keys?.pk?.S === "JOB#77",
    );

    const progress = records.filter((record) =>
      reportsRunnerProgress(record.dynamodb?.NewImage as never),
    );

    expect(progress.map((record) => record.dynamodb?.NewImage?.status?.S)).toEqual(["running"]);
  });

  it("selects the same records with the Lambda filter patterns as with scalerWantsRecord", async () => {
    const records = await streamRecords();

    const byPatterns = records.filter((record) =>
      SCALER_STREAM_FILTER_PATTERNS.some((pattern) => matchesPattern(pattern, record)),
    );
    const byPredicate = records.filter((record) =>
      scalerWantsRecord(record.dynamodb?.NewImage as never),
    );

    expect(records.length).toBeGreaterThan(byPatterns.length);
    expect(byPatterns.length).toBe(2);
    expect(byPatterns).toEqual(byPredicate);
  });
});

/** Lambda's filter semantics for the subset the patterns use: nested objects, allowed values, exists. */
const matchesPattern = (pattern: unknown, value: unknown): boolean => {
  if (Array.isArray(pattern)) {
    return pattern.some((allowed) =>
      typeof allowed === "object" && allowed !== null && "exists" in allowed
        ? (value !== undefined) === allowed.exists
        : allowed === value,
    );
  }
  if (
    typeof pattern !== "object" ||
    pattern === null ||
    typeof value !== "object" ||
    value === null
  )
    return false;
  return Object.entries(pattern).every(([key, inner]) =>
    matchesPattern(inner, (value as Record<string, unknown>)[key]),
  );
};
