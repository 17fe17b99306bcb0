import { type DynamoDBDocumentClient, PutCommand, paginateQuery } from "@aws-sdk/lib-dynamodb";
import type { PoolControls } from "../../ports/pool-controls";
import { TABLE_KEYS } from "./table";

const POOL_CONTROLS_PARTITION = "POOL_CONTROLS";

/** One item per pool that an operator switched, listed under one index partition. */
export class DynamoPoolControls implements PoolControls {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async drainedPools(): Promise<ReadonlySet<string>> {
    const drained = new Set<string>();
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        IndexName: TABLE_KEYS.gsi1.name,
        KeyConditionExpression: "#pk = :controls",
        ExpressionAttributeNames: { "#pk": TABLE_KEYS.gsi1.partitionKey },
        ExpressionAttributeValues: { ":controls": POOL_CONTROLS_PARTITION },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? [])
        if (item.drained === true) drained.add(String(item.pool));
    }
    return drained;
  }

  async setDrained(pool: string, drained: boolean): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `POOL#${pool}`,
          sk: "CONTROLS",
          kind: "pool_controls",
          pool,
          drained,
          gsi1pk: POOL_CONTROLS_PARTITION,
          gsi1sk: pool,
        },
      }),
    );
  }
}
