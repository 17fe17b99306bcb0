import { setTimeout as sleep } from "node:timers/promises";
import {
  type AttributeValue,
  DescribeTableCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";

export interface StreamPollerOptions {
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly tableName: string;
  /** The subscription's filter: which new images reach the function. */
  readonly select: (newImage: Record<string, AttributeValue> | undefined) => boolean;
  readonly deliver: (event: DynamoDBStreamEvent) => Promise<unknown>;
  readonly intervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** An SDK stream record in the shape Lambda hands to a function. */
const toLambdaRecord = (record: _Record, streamArn: string): DynamoDBRecord =>
  ({
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: "aws:dynamodb",
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    dynamodb: {
      ...record.dynamodb,
      ApproximateCreationDateTime: record.dynamodb?.ApproximateCreationDateTime
        ? Math.floor(record.dynamodb.ApproximateCreationDateTime.getTime() / 1000)
        : undefined,
    },
  }) as DynamoDBRecord;

/**
 * Reads the table's stream the way Lambda's event-source mapping does (filter, batch, one
 * invocation at a time per shard) and hands the batches to the same handler.
 */
export const pollTableStream = (options: StreamPollerOptions): { stop(): Promise<void> } => {
  let stopped = false;
  const loop = (async () => {
    const { Table } = await options.dynamodb.send(
      new DescribeTableCommand({ TableName: options.tableName }),
    );
    const streamArn = Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
    const iterators = new Map<string, string | undefined>();
    let first = true;
    while (!stopped) {
      try {
        const { StreamDescription } = await options.streams.send(
          new DescribeStreamCommand({ StreamArn: streamArn }),
        );
        for (const shard of StreamDescription?.Shards ?? []) {
          if (!shard.ShardId || iterators.has(shard.ShardId)) continue;
          const { ShardIterator } = await options.streams.send(
            new GetShardIteratorCommand({
              StreamArn: streamArn,
              ShardId: shard.ShardId,
              // At start-up, only what happens from now on; shards that open later, from their start.
              ShardIteratorType: first ? "LATEST" : "TRIM_HORIZON",
            }),
          );
          iterators.set(shard.ShardId, ShardIterator);
        }
        first = false;
        for (const [shardId, iterator] of iterators) {
          if (!iterator) continue;
          const page = await options.streams.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }),
          );
          iterators.set(shardId, page.NextShardIterator);
          const records = (page.Records ?? []).filter((record) =>
            options.select(record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined),
          );
          if (records.length > 0)
            await options.deliver({
              Records: records.map((record) => toLambdaRecord(record, streamArn)),
            });
        }
      } catch (error) {
        options.onError?.(error);
      }
      await sleep(options.intervalMs ?? 100);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop.catch(() => undefined);
    },
  };
};
