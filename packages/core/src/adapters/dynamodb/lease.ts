import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Lease } from "../../ports/lease";

const leaseKey = (name: string) => ({ pk: `LEASE#${name}`, sk: "LEASE" });

/** A lease item, taken by a conditional put: free, expired, or already ours. */
export class DynamoLease implements Lease {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async tryAcquire(name: string, holder: string, seconds: number, now: Date): Promise<boolean> {
    const until = now.getTime() + seconds * 1000;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...leaseKey(name),
            kind: "lease",
            holder,
            untilMs: until,
            expiresAt: Math.ceil(until / 1000) + 3600,
          },
          ConditionExpression: "attribute_not_exists(pk) OR untilMs < :now OR holder = :holder",
          ExpressionAttributeValues: { ":now": now.getTime(), ":holder": holder },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(name: string, holder: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: leaseKey(name),
          ConditionExpression: "holder = :holder",
          ExpressionAttributeValues: { ":holder": holder },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
