import { setTimeout as sleep } from "node:timers/promises";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  DURATION_RETENTION_SECONDS,
  DURATION_SAMPLES,
  type DurationKey,
  durationKeyOf,
  historyName,
  type JobDurations,
} from "../../ports/job-durations";
import { durationKey, ItemKind } from "./keys";
import { TABLE_KEYS } from "./table";
import { buildUpdate } from "./update-expression";

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** BatchGetItem reads at most this many keys per request. */
const BATCH_GET_KEYS = 100;
/** Reads DynamoDB left unprocessed (throttling) are asked again this many times, backing off. */
const UNPROCESSED_RETRIES = 4;
const UNPROCESSED_BACKOFF_MS = 25;
/** A history's write tries at most this often: as many parallel jobs as it keeps samples. */
const WRITE_ATTEMPTS = DURATION_SAMPLES;

/** A sample the history keeps: a duration, in seconds, that a run can have taken. */
const isDuration = (seconds: number) => Number.isFinite(seconds) && seconds >= 0;

type Key = ReturnType<typeof durationKey>;

export interface DynamoJobDurationsOptions {
  /** Waits before asking again for the keys a BatchGetItem left unprocessed (attempt from 1). */
  readonly backoff?: (attempt: number) => Promise<void>;
}

/**
 * JobDurations on DynamoDB: one small item per job name of a project (see durationKey), its
 * samples newest first, written by a read and a write conditioned on the version read. Not in the
 * index, and no stream consumer reads it (the scaler's filters want jobs only).
 */
export class DynamoJobDurations implements JobDurations {
  private readonly backoff: (attempt: number) => Promise<void>;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoJobDurationsOptions = {},
  ) {
    this.backoff =
      options.backoff ??
      ((attempt) => sleep(UNPROCESSED_BACKOFF_MS * 2 ** (attempt - 1) * (0.5 + Math.random())));
  }

  /**
   * A duration that is not a finite, non-negative number (a hook's garbage) is ignored: it would
   * only skew the estimate. Parallel jobs of one name share a history and finish together, so a
   * write that loses a race reads again and retries, up to WRITE_ATTEMPTS times (each round has a
   * winner); past that its sample is lost and the history stays as the winners left it.
   */
  async recordDuration(key: DurationKey, seconds: number, at: Date): Promise<void> {
    if (!isDuration(seconds)) return;
    const history = historyName(key.name);
    const itemKey = durationKey(key.projectId, history);
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const { Item } = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: itemKey,
          ConsistentRead: true,
          ProjectionExpression: "#samples, #version, #expiresAt",
          ExpressionAttributeNames: {
            "#samples": "samples",
            "#version": "version",
            "#expiresAt": TABLE_KEYS.ttlAttribute,
          },
        }),
      );
      // An expired history (TTL deletes lazily) is no history: it starts again.
      const kept =
        Item && (Item.expiresAt as number) > epochSeconds(at)
          ? ((Item.samples as number[] | undefined) ?? [])
          : [];
      const versionRead = Item?.version as number | undefined;
      const written = await this.write(itemKey, versionRead, {
        kind: ItemKind.Duration,
        projectId: key.projectId,
        name: history,
        samples: [seconds, ...kept].slice(0, DURATION_SAMPLES),
        version: (versionRead ?? 0) + 1,
        updatedAt: at.toISOString(),
        expiresAt: epochSeconds(at) + DURATION_RETENTION_SECONDS,
      });
      if (written) return;
      // Parallel jobs finishing together: spread the next round out, briefly (the webhook
      // answers GitLab within 10 s).
      await this.backoff(1);
    }
  }

  /** The write of a whole history, if it is still the version read; false when it is not. */
  private async write(
    itemKey: Key,
    versionRead: number | undefined,
    item: Record<string, unknown>,
  ): Promise<boolean> {
    const update = buildUpdate(item, [], versionRead === undefined ? {} : { ":read": versionRead });
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKey,
          ...update,
          ConditionExpression:
            versionRead === undefined ? "attribute_not_exists(#pk)" : "#version = :read",
          ExpressionAttributeNames: {
            ...update.ExpressionAttributeNames,
            ...(versionRead === undefined && { "#pk": TABLE_KEYS.partitionKey }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Keys that DynamoDB still leaves unprocessed after UNPROCESSED_RETRIES are answered as without
   * history (their jobs are estimated by the prior), rather than failing the scaler's pass.
   */
  async recentDurations(
    keys: readonly DurationKey[],
    now: Date,
  ): Promise<ReadonlyMap<string, readonly number[]>> {
    // Parallel jobs share a history: each item is asked for once.
    const wanted = new Map<string, { readonly key: Key; readonly answer: string }>();
    for (const key of keys) {
      const itemKey = durationKey(key.projectId, historyName(key.name));
      wanted.set(itemKey.pk, { key: itemKey, answer: durationKeyOf(key) });
    }
    const all = [...wanted.values()].map((entry) => entry.key);
    const batches: Key[][] = [];
    for (let i = 0; i < all.length; i += BATCH_GET_KEYS)
      batches.push(all.slice(i, i + BATCH_GET_KEYS));
    const items = (await Promise.all(batches.map((batch) => this.batchGet(batch)))).flat();
    const durations = new Map<string, readonly number[]>();
    for (const item of items) {
      const entry = wanted.get(item.pk as string);
      const samples = item.samples as number[] | undefined;
      if (!entry || (item.expiresAt as number) <= epochSeconds(now) || !samples?.length) continue;
      durations.set(entry.answer, samples);
    }
    return durations;
  }

  /** One BatchGetItem of at most BATCH_GET_KEYS keys, and again for what it left unprocessed. */
  private async batchGet(keys: Key[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let pending: Key[] = keys;
    for (let attempt = 0; pending.length > 0 && attempt <= UNPROCESSED_RETRIES; attempt++) {
      if (attempt > 0) await this.backoff(attempt);
      const result = await this.client.send(
        new BatchGetCommand({
          RequestItems: {
            [this.tableName]: {
              Keys: pending,
              ProjectionExpression: "#pk, #samples, #expiresAt",
              ExpressionAttributeNames: {
                "#pk": TABLE_KEYS.partitionKey,
                "#samples": "samples",
                "#expiresAt": TABLE_KEYS.ttlAttribute,
              },
            },
          },
        }),
      );
      items.push(...(result.Responses?.[this.tableName] ?? []));
      pending = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Key[];
    }
    return items;
  }
}
