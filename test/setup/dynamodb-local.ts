import { startDynamoDbLocal } from "@ger/local";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

/** One DynamoDB Local for the whole run; each test file creates its own tables in it. */
export default async function setup(project: TestProject) {
  const dynamoDbLocal = await startDynamoDbLocal({ startTimeoutMs: 60_000 });
  project.provide("dynamodbEndpoint", dynamoDbLocal.endpoint);
  return () => dynamoDbLocal.stop();
}
