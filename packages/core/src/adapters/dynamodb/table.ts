import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

/**
 * One table holds all control-plane state (single-table design). Items carry `kind`; `gsi1` is a
 * sparse, overloaded index: unfinished jobs by status, active projects by last event, jobs owed a
 * retry.
 * The same shape is created by infra/ (SST), the local stack and the tests.
 */
export const TABLE_KEYS = {
  partitionKey: "pk",
  sortKey: "sk",
  gsi1: { name: "gsi1", partitionKey: "gsi1pk", sortKey: "gsi1sk" },
  ttlAttribute: "expiresAt",
} as const;

export const createTableInput = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: "PAY_PER_REQUEST",
  AttributeDefinitions: [
    { AttributeName: TABLE_KEYS.partitionKey, AttributeType: "S" },
    { AttributeName: TABLE_KEYS.sortKey, AttributeType: "S" },
    { AttributeName: TABLE_KEYS.gsi1.partitionKey, AttributeType: "S" },
    { AttributeName: TABLE_KEYS.gsi1.sortKey, AttributeType: "S" },
  ],
  KeySchema: [
    { AttributeName: TABLE_KEYS.partitionKey, KeyType: "HASH" },
    { AttributeName: TABLE_KEYS.sortKey, KeyType: "RANGE" },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: TABLE_KEYS.gsi1.name,
      KeySchema: [
        { AttributeName: TABLE_KEYS.gsi1.partitionKey, KeyType: "HASH" },
        { AttributeName: TABLE_KEYS.gsi1.sortKey, KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    },
  ],
  // The scaler is woken by this stream (see scaler-wake.ts).
  StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
});
