import { randomUUID } from "node:crypto";
import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ensureTable, LOCAL_AWS_SETTINGS } from "@ger/local";
import { inject } from "vitest";

export interface TestTable {
  readonly tableName: string;
  readonly client: DynamoDBClient;
  readonly documentClient: DynamoDBDocumentClient;
  drop(): Promise<void>;
}

export const dynamodbEndpoint = (): string => inject("dynamodbEndpoint");

/** A fresh table in the run's DynamoDB Local, created exactly as infra/ defines it. */
export const createTestTable = async (): Promise<TestTable> => {
  const client = new DynamoDBClient({ endpoint: dynamodbEndpoint(), ...LOCAL_AWS_SETTINGS });
  const tableName = `test-${randomUUID()}`;
  await ensureTable(client, tableName);
  return {
    tableName,
    client,
    documentClient: DynamoDBDocumentClient.from(client),
    drop: async () => {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
};
