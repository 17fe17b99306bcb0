import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import type { TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type {
  CapacityCaps,
  LedgerView,
  ReserveOutcome,
  RunnerChanges,
  RunnerStore,
  TakeOutcome,
} from "../../ports/runner-store";
import { keptFrom, type Registration, takingOver } from "../../runners/registration";
import type { RunnerRecord, RunnerState } from "../../runners/runner-record";
import {
  GLOBAL_LEDGER_KEY,
  ItemKind,
  LEDGER_PARTITION,
  LIVE_RUNNERS_PARTITION,
  poolLedgerKey,
  REGISTRATIONS_PARTITION,
  registrationKey,
  registrationsSort,
  runnerKey,
  scopeLedgerKey,
} from "./keys";
import { TABLE_KEYS } from "./table";
import { retryOnConflict } from "./transaction-retry";
import { buildUpdate } from "./update-expression";

/** Records of retired runners stay a week for operators, then expire. */
const GONE_RETENTION_SECONDS = 7 * 24 * 3600;
const STORAGE_ATTRIBUTES = new Set(["pk", "sk", "kind", "gsi1pk", "gsi1sk", "expiresAt"]);

const withoutStorage = (item: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(item).filter(([key]) => !STORAGE_ATTRIBUTES.has(key)));
const toRunnerRecord = (item: Record<string, unknown>): RunnerRecord =>
  withoutStorage(item) as unknown as RunnerRecord;
const toRegistration = (item: Record<string, unknown>): Registration =>
  withoutStorage(item) as unknown as Registration;

/** Free registrations tried per take: past these, a registration is made anew. */
const TAKE_ATTEMPTS = 5;

/** Which items of a cancelled transaction failed their condition, in the transaction's order. */
const failedConditions = (error: TransactionCanceledException): boolean[] =>
  (error.CancellationReasons ?? []).map((reason) => reason.Code === "ConditionalCheckFailed");

type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

/** Takes a slot in a ledger counter, on condition that it stays within `max`. */
const takeSlot = (
  tableName: string,
  key: { pk: string; sk: string },
  max: number,
  sortKey: string,
): TransactItem => ({
  Update: {
    TableName: tableName,
    Key: key,
    UpdateExpression: "SET #kind = :ledger, #gsi1pk = :ledgers, #gsi1sk = :sortKey ADD #inUse :one",
    ConditionExpression: "attribute_not_exists(#inUse) OR #inUse < :max",
    ExpressionAttributeNames: {
      "#kind": "kind",
      "#gsi1pk": "gsi1pk",
      "#gsi1sk": "gsi1sk",
      "#inUse": "inUse",
    },
    ExpressionAttributeValues: {
      ":ledger": ItemKind.Ledger,
      ":ledgers": LEDGER_PARTITION,
      ":sortKey": sortKey,
      ":one": 1,
      ":max": max,
    },
  },
});

const giveSlotBack = (tableName: string, key: { pk: string; sk: string }): TransactItem => ({
  Update: {
    TableName: tableName,
    Key: key,
    UpdateExpression: "ADD #inUse :minusOne",
    ExpressionAttributeNames: { "#inUse": "inUse" },
    ExpressionAttributeValues: { ":minusOne": -1 },
  },
});

const stateIn = (from: readonly RunnerState[]) => ({
  condition: `#state IN (${from.map((_, index) => `:from${index}`).join(", ")})`,
  values: Object.fromEntries(from.map((state, index) => [`:from${index}`, state])),
});

/**
 * RunnerStore on DynamoDB. The ledger is two counters (pool, fleet), and one per capped GitLab
 * scope, changed in the same transaction as the runner record, with the cap in the condition:
 * concurrent scalers race on the counters, and DynamoDB lets exactly as many win as there is room.
 */
export class DynamoRunnerStore implements RunnerStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async reserve(runner: RunnerRecord, caps: CapacityCaps): Promise<ReserveOutcome> {
    if (caps.poolMaxInstances <= 0) return "pool_full";
    if (caps.globalMaxInstances <= 0) return "global_full";
    const { registrations } = caps;
    if (registrations && registrations.max <= 0) return "scope_full";
    const take = (key: { pk: string; sk: string }, max: number, sortKey: string) =>
      takeSlot(this.tableName, key, max, sortKey);
    try {
      await retryOnConflict(() =>
        this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: {
                    ...runnerKey(runner.name),
                    ...runner,
                    ...(registrations && { registrationScope: registrations.scope }),
                    state: "reserved",
                    kind: ItemKind.Runner,
                    gsi1pk: LIVE_RUNNERS_PARTITION,
                    gsi1sk: runner.name,
                  },
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              },
              take(poolLedgerKey(runner.pool), caps.poolMaxInstances, `pool#${runner.pool}`),
              take(GLOBAL_LEDGER_KEY, caps.globalMaxInstances, "global"),
              ...(registrations
                ? [
                    take(
                      scopeLedgerKey(registrations.scope),
                      registrations.max,
                      `scope#${registrations.scope}`,
                    ),
                  ]
                : []),
            ],
          }),
        ),
      );
      return "reserved";
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [record, pool, global, scope] = failedConditions(error);
      if (pool) return "pool_full";
      if (global) return "global_full";
      if (scope) return "scope_full";
      if (record) throw new Error(`runner ${runner.name} exists already`, { cause: error });
      throw error;
    }
  }

  async transition(
    name: string,
    from: readonly RunnerState[],
    changes: RunnerChanges,
    at: Date,
  ): Promise<RunnerRecord | undefined> {
    if (changes.state === "gone") throw new Error("use release() to retire a runner");
    const guard = stateIn(from);
    const update = buildUpdate({ ...changes, updatedAt: at.toISOString() }, [], guard.values);
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runnerKey(name),
          ...update,
          ConditionExpression: guard.condition,
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, "#state": "state" },
          ReturnValues: "ALL_NEW",
        }),
      );
      return result.Attributes ? toRunnerRecord(result.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async release(name: string, from: readonly RunnerState[], at: Date): Promise<boolean> {
    const runner = await this.get(name);
    if (!runner || runner.state === "gone" || !from.includes(runner.state)) return false;
    const giveBack = (key: { pk: string; sk: string }) => giveSlotBack(this.tableName, key);
    try {
      await retryOnConflict(() =>
        this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              this.markGone(name, from, at),
              giveBack(poolLedgerKey(runner.pool)),
              giveBack(GLOBAL_LEDGER_KEY),
              ...(runner.registrationScope
                ? [giveBack(scopeLedgerKey(runner.registrationScope))]
                : []),
            ],
          }),
        ),
      );
      return true;
    } catch (error) {
      // Someone else moved or released it between the read and the write.
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }

  /** The write that marks a record gone (out of the live index, expiring after a week). */
  private markGone(name: string, from: readonly RunnerState[], at: Date): TransactItem {
    const guard = stateIn(from);
    return {
      Update: {
        TableName: this.tableName,
        Key: runnerKey(name),
        UpdateExpression:
          "SET #state = :gone, #updatedAt = :at, #expiresAt = :expiresAt REMOVE #gsi1pk, #gsi1sk",
        ConditionExpression: guard.condition,
        ExpressionAttributeNames: {
          "#state": "state",
          "#updatedAt": "updatedAt",
          "#expiresAt": TABLE_KEYS.ttlAttribute,
          "#gsi1pk": "gsi1pk",
          "#gsi1sk": "gsi1sk",
        },
        ExpressionAttributeValues: {
          ...guard.values,
          ":gone": "gone",
          ":at": at.toISOString(),
          ":expiresAt": Math.floor(at.getTime() / 1000) + GONE_RETENTION_SECONDS,
        },
      },
    };
  }

  /** Deletes a registration's item, on condition that it is still in `state`. */
  private deleteRegistration(name: string, state: Registration["state"]): TransactItem {
    return {
      Delete: {
        TableName: this.tableName,
        Key: registrationKey(name),
        ConditionExpression: "#state = :state",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: { ":state": state },
      },
    };
  }

  async takeRegistration(
    runner: RunnerRecord,
    fingerprint: string,
    caps: Omit<CapacityCaps, "registrations">,
  ): Promise<TakeOutcome> {
    const free = (await this.queryIndex(REGISTRATIONS_PARTITION, `${runner.pool}#`))
      .map(toRegistration)
      .filter(
        (kept) =>
          kept.state === "free" && kept.pool === runner.pool && kept.fingerprint === fingerprint,
      )
      .reverse()
      .slice(0, TAKE_ATTEMPTS);
    if (free.length === 0) return "none_free";
    if (caps.poolMaxInstances <= 0) return "pool_full";
    if (caps.globalMaxInstances <= 0) return "global_full";
    for (const kept of free) {
      const record = takingOver(runner, kept);
      try {
        await retryOnConflict(() =>
          this.client.send(
            new TransactWriteCommand({
              TransactItems: [
                this.deleteRegistration(kept.name, "free"),
                {
                  Put: {
                    TableName: this.tableName,
                    Item: {
                      ...runnerKey(runner.name),
                      ...record,
                      kind: ItemKind.Runner,
                      gsi1pk: LIVE_RUNNERS_PARTITION,
                      gsi1sk: runner.name,
                    },
                    ConditionExpression: "attribute_not_exists(pk)",
                  },
                },
                takeSlot(
                  this.tableName,
                  poolLedgerKey(runner.pool),
                  caps.poolMaxInstances,
                  `pool#${runner.pool}`,
                ),
                takeSlot(this.tableName, GLOBAL_LEDGER_KEY, caps.globalMaxInstances, "global"),
              ],
            }),
          ),
        );
        return record;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [taken, exists, pool, global] = failedConditions(error);
        if (pool) return "pool_full";
        if (global) return "global_full";
        if (exists) throw new Error(`runner ${runner.name} exists already`, { cause: error });
        // Another runner took this registration first (the index lags): try the next.
        if (!taken) throw error;
      }
    }
    return "none_free";
  }

  async retainRegistration(
    name: string,
    from: readonly RunnerState[],
    registration: Omit<Registration, "state" | "freeSince" | "registrationScope">,
    at: Date,
  ): Promise<boolean> {
    const runner = await this.get(name);
    if (!runner || runner.state === "gone" || !from.includes(runner.state)) return false;
    const kept = keptFrom(runner, registration, at);
    try {
      await retryOnConflict(() =>
        this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              this.markGone(name, from, at),
              // The scope slot is not given back: the registration holds it now.
              giveSlotBack(this.tableName, poolLedgerKey(runner.pool)),
              giveSlotBack(this.tableName, GLOBAL_LEDGER_KEY),
              {
                Put: {
                  TableName: this.tableName,
                  Item: {
                    ...registrationKey(kept.name),
                    ...kept,
                    kind: ItemKind.Registration,
                    gsi1pk: REGISTRATIONS_PARTITION,
                    gsi1sk: registrationsSort(kept.pool, kept.freeSince, kept.name),
                  },
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              },
            ],
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }

  async listRegistrations(): Promise<Registration[]> {
    return (await this.queryIndex(REGISTRATIONS_PARTITION)).map(toRegistration);
  }

  async expireRegistration(name: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: registrationKey(name),
          UpdateExpression: "SET #state = :expiring",
          ConditionExpression: "#state = :free",
          ExpressionAttributeNames: { "#state": "state" },
          ExpressionAttributeValues: { ":expiring": "expiring", ":free": "free" },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async dropRegistration(name: string): Promise<boolean> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: registrationKey(name),
        ConsistentRead: true,
      }),
    );
    if (Item?.state !== "expiring") return false;
    const { registrationScope } = toRegistration(Item);
    try {
      await retryOnConflict(() =>
        this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              this.deleteRegistration(name, "expiring"),
              ...(registrationScope
                ? [giveSlotBack(this.tableName, scopeLedgerKey(registrationScope))]
                : []),
            ],
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }

  async get(name: string): Promise<RunnerRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: runnerKey(name), ConsistentRead: true }),
    );
    return Item ? toRunnerRecord(Item) : undefined;
  }

  async listLive(): Promise<RunnerRecord[]> {
    return (await this.queryIndex(LIVE_RUNNERS_PARTITION)).map(toRunnerRecord);
  }

  async ledger(): Promise<LedgerView> {
    const byPool: Record<string, number> = {};
    const byScope: Record<string, number> = {};
    let global = 0;
    for (const item of await this.queryIndex(LEDGER_PARTITION)) {
      const sortKey = String(item.gsi1sk);
      const inUse = Number(item.inUse ?? 0);
      if (sortKey === "global") global = inUse;
      else if (sortKey.startsWith("scope#")) byScope[sortKey.slice("scope#".length)] = inUse;
      else byPool[sortKey.replace(/^pool#/, "")] = inUse;
    }
    return { global, byPool, byScope };
  }

  private async queryIndex(
    partition: string,
    sortPrefix?: string,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        IndexName: TABLE_KEYS.gsi1.name,
        KeyConditionExpression:
          sortPrefix === undefined ? "#pk = :pk" : "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: {
          "#pk": TABLE_KEYS.gsi1.partitionKey,
          ...(sortPrefix !== undefined && { "#sk": TABLE_KEYS.gsi1.sortKey }),
        },
        ExpressionAttributeValues: {
          ":pk": partition,
          ...(sortPrefix !== undefined && { ":prefix": sortPrefix }),
        },
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items;
  }
}
