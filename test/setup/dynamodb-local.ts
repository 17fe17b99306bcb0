import { startDynamoDbLocal } from "@ger/local";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

/**
 * One DynamoDB Local for the whole run; each test file creates its own tables in it. Shared by
 * every key and region (no access key id given), unlike the local stack's: the tests' Lambdas read
 * their region from AWS_REGION, and the database holds throwaway tables for the run's length only.
 */
export default async function setup(project: TestProject) {
  const dynamoDbLocal = await startDynamoDbLocal({ startTimeoutMs: 60_000 });
  project.provide("dynamodbEndpoint", dynamoDbLocal.endpoint);
  return () => dynamoDbLocal.stop();
}
