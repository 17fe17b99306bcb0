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
  /** Where reading starts at start-up: LATEST (what happens from now on) or TRIM_HORIZON (all). */
  readonly startingPosition?: "LATEST" | "TRIM_HORIZON";
  /** Retries of a failed batch before it is skipped, as the mapping's (infra/: 3). Default 3. */
  readonly maximumRetryAttempts?: number;
  readonly onError?: (error: unknown) => void;
}

/** A shard being read: where the next batch starts, and how often the one there failed. */
interface ShardReader {
  iterator: string | undefined;
  failures: number;
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
 * invocation at a time per shard) and hands the batches to the same handler. A batch whose
 * delivery fails is delivered again, from the same iterator, up to `maximumRetryAttempts` times;
 * after that it is skipped (and reported), as the mapping parks it.
 */
export const pollTableStream = (options: StreamPollerOptions): { stop(): Promise<void> } => {
  const { maximumRetryAttempts = 3, onError } = options;
  let stopped = false;

  /** One batch from the shard; the iterator moves on only past a delivered (or skipped) one. */
  const readBatch = async (shard: ShardReader, streamArn: string) => {
    const page = await options.streams.send(
      new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 100 }),
    );
    const records = (page.Records ?? []).filter((record) =>
      options.select(record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined),
    );
    try {
      if (records.length > 0)
        await options.deliver({
          Records: records.map((record) => toLambdaRecord(record, streamArn)),
        });
    } catch (error) {
      shard.failures += 1;
      onError?.(error);
      if (shard.failures <= maximumRetryAttempts) return;
      onError?.(
        new Error(
          `skipped a batch of ${records.length} records after ${maximumRetryAttempts} retries`,
        ),
      );
    }
    shard.iterator = page.NextShardIterator;
    shard.failures = 0;
  };

  const loop = (async () => {
    const { Table } = await options.dynamodb.send(
      new DescribeTableCommand({ TableName: options.tableName }),
    );
    const streamArn = Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
    const shards = new Map<string, ShardReader>();
    let first = true;
    while (!stopped) {
      try {
        const { StreamDescription } = await options.streams.send(
          new DescribeStreamCommand({ StreamArn: streamArn }),
        );
        for (const shard of StreamDescription?.Shards ?? []) {
          if (!shard.ShardId || shards.has(shard.ShardId)) continue;
          const { ShardIterator } = await options.streams.send(
            new GetShardIteratorCommand({
              StreamArn: streamArn,
              ShardId: shard.ShardId,
              // At start-up, from the starting position; shards that open later, from their start.
              ShardIteratorType: first ? (options.startingPosition ?? "LATEST") : "TRIM_HORIZON",
            }),
          );
          shards.set(shard.ShardId, { iterator: ShardIterator, failures: 0 });
        }
        first = false;
        for (const shard of shards.values()) if (shard.iterator) await readBatch(shard, streamArn);
      } catch (error) {
        onError?.(error);
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
