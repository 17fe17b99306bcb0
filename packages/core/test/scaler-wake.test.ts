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
import { createTestTable, dynamodbEndpoint, type TestTable } from "../../../test/support/dynamodb";
import { hooksAlong } from "../../../test/support/lifecycles";
import { DynamoDemandStore, SCALER_WAKE_FILTER_PATTERN, wakesScaler } from "../src/index";

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

describe("waking the scaler through the table stream", () => {
  it("emits one waking record when a job becomes pending, none for duplicates or other statuses", async () => {
    const store = new DynamoDemandStore(table.documentClient, table.tableName);
    const [created, pending, running] = hooksAlong(77, 1, ["created", "pending", "running"]);
    const at = new Date();

    await store.recordJobEvent(created!, at);
    await store.recordJobEvent(pending!, at);
    await store.recordJobEvent(pending!, at);
    await store.recordJobEvent(created!, at);
    await store.recordJobEvent(running!, at);
    await store.noteProjectActivity(1, at);

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

  it("selects the same records with the Lambda filter pattern as with wakesScaler", async () => {
    const records = await streamRecords();

    const byPattern = records.filter((record) =>
      matchesPattern(SCALER_WAKE_FILTER_PATTERN, record),
    );
    const byPredicate = records.filter((record) => wakesScaler(record.dynamodb?.NewImage as never));

    expect(records.length).toBeGreaterThan(byPattern.length);
    expect(byPattern).toEqual(byPredicate);
  });
});

/** Lambda's filter semantics for the subset the pattern uses: nested objects, lists of allowed values. */
const matchesPattern = (pattern: unknown, value: unknown): boolean => {
  if (Array.isArray(pattern)) return pattern.includes(value);
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
