import { TABLE_KEYS } from "@ger/core";

/** The one table: jobs, runners, the capacity ledger, leases (same keys as createTableInput). */
export const table = new sst.aws.Dynamo("State", {
  fields: {
    [TABLE_KEYS.partitionKey]: "string",
    [TABLE_KEYS.sortKey]: "string",
    [TABLE_KEYS.gsi1.partitionKey]: "string",
    [TABLE_KEYS.gsi1.sortKey]: "string",
  },
  primaryIndex: { hashKey: TABLE_KEYS.partitionKey, rangeKey: TABLE_KEYS.sortKey },
  globalIndexes: {
    [TABLE_KEYS.gsi1.name]: {
      hashKey: TABLE_KEYS.gsi1.partitionKey,
      rangeKey: TABLE_KEYS.gsi1.sortKey,
    },
  },
  // The scaler is woken by new demand and runner progress on this stream.
  stream: "new-and-old-images",
  ttl: TABLE_KEYS.ttlAttribute,
  transform: {
    table: (args) => {
      args.billingMode = "PAY_PER_REQUEST";
      args.pointInTimeRecovery = { enabled: true };
    },
  },
});
