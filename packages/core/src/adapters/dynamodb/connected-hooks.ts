import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
} from "@aws-sdk/lib-dynamodb";
import type { ConnectedHooks } from "../../ports/connected-hooks";
import type { HookOwner } from "../../ports/gitlab-setup";
import { TABLE_KEYS } from "./table";

const CONNECTED_HOOKS_PARTITION = "CONNECTED_HOOKS";

const ownerKey = (owner: HookOwner) => ({ pk: `HOOK#${owner.kind}#${owner.id}`, sk: "CONNECTION" });

/** Projects before groups, each by id padded to sort as a number: the index lists them in order. */
const listingOrder = (owner: HookOwner) =>
  `${owner.kind === "project" ? 0 : 1}#${String(owner.id).padStart(16, "0")}`;

/** One item per project or group that `connect` set up, listed under one index partition. */
export class DynamoConnectedHooks implements ConnectedHooks {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(): Promise<HookOwner[]> {
    const owners: HookOwner[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        IndexName: TABLE_KEYS.gsi1.name,
        KeyConditionExpression: "#pk = :hooks",
        ExpressionAttributeNames: { "#pk": TABLE_KEYS.gsi1.partitionKey },
        ExpressionAttributeValues: { ":hooks": CONNECTED_HOOKS_PARTITION },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? [])
        owners.push({ kind: item.ownerKind, id: Number(item.ownerId) } as HookOwner);
    }
    return owners;
  }

  async add(owner: HookOwner): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...ownerKey(owner),
          kind: "connected_hook",
          ownerKind: owner.kind,
          ownerId: owner.id,
          gsi1pk: CONNECTED_HOOKS_PARTITION,
          gsi1sk: listingOrder(owner),
        },
      }),
    );
  }

  async remove(owner: HookOwner): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: ownerKey(owner) }));
  }
}
