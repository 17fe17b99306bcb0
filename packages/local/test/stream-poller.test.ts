import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestTable, dynamodbEndpoint, type TestTable } from "../../../test/support/dynamodb";
import { LOCAL_AWS_SETTINGS } from "../src/index";
import { pollTableStream } from "../src/stream-poller";

let table: TestTable;
let streams: DynamoDBStreamsClient;
let stopPoller: () => Promise<void>;
beforeEach(async () => {
  table = await createTestTable();
  streams = new DynamoDBStreamsClient({ endpoint: dynamodbEndpoint(), ...LOCAL_AWS_SETTINGS });
});
afterEach(async () => {
  await stopPoller();
  streams.destroy();
  await table.drop();
});

const put = (pk: string) =>
  table.client.send(
    new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: pk }, sk: { S: "item" } } }),
  );

/**
 * Polls the test table from its start, handing batches to a handler that fails on the calls
 * `fails` names. Returns the keys of every batch delivered, the errors reported, and a way to wait
 * for the next deliveries.
 */
const pollWith = (fails: (call: number) => boolean) => {
  const batches: string[][] = [];
  const errors: unknown[] = [];
  let delivered: (() => void) | undefined;
  const deliver = async (event: DynamoDBStreamEvent) => {
    batches.push(event.Records.map((record) => record.dynamodb?.Keys?.pk?.S ?? ""));
    delivered?.();
    if (fails(batches.length)) throw new Error(`handler failed on call ${batches.length}`);
  };
  const poller = pollTableStream({
    dynamodb: table.client,
    streams,
    tableName: table.tableName,
    select: (image) => image?.pk?.S?.startsWith("ITEM#") === true,
    deliver,
    intervalMs: 10,
    startingPosition: "TRIM_HORIZON",
    onError: (error) => errors.push(error),
  });
  stopPoller = poller.stop;
  const deliveries = async (count: number) => {
    while (batches.length < count)
      await new Promise<void>((resolve) => {
        delivered = resolve;
      });
  };
  return { batches, errors, deliveries };
};

describe("pollTableStream, against DynamoDB Local's stream", () => {
  it("delivers a batch whose handler failed again, and moves on only once it succeeded", async () => {
    const { batches, errors, deliveries } = pollWith((call) => call <= 2);
    await put("ITEM#a");
    await deliveries(3);

    await put("ITEM#b");
    await deliveries(4);

    expect(batches).toEqual([["ITEM#a"], ["ITEM#a"], ["ITEM#a"], ["ITEM#b"]]);
    expect(errors.map(String)).toEqual([
      "Error: handler failed on call 1",
      "Error: handler failed on call 2",
    ]);
  });

  it("skips a batch after three retries, reports it, and delivers the next", async () => {
    const { batches, errors, deliveries } = pollWith((call) => call <= 4);
    await put("ITEM#a");
    await deliveries(4);

    await put("ITEM#b");
    await deliveries(5);

    expect(batches).toEqual([["ITEM#a"], ["ITEM#a"], ["ITEM#a"], ["ITEM#a"], ["ITEM#b"]]);
    expect(errors.map(String)).toEqual([
      "Error: handler failed on call 1",
      "Error: handler failed on call 2",
      "Error: handler failed on call 3",
      "Error: handler failed on call 4",
      "Error: skipped a batch of 1 records after 3 retries",
    ]);
  });
});
