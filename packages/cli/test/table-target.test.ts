import { once } from "node:events";
import type { AddressInfo } from "node:net";
import {
  DynamoDemandStore,
  DynamoPoolControls,
  DynamoRunnerStore,
  parseAutoscalerConfig,
  readControlPlaneStatus,
} from "@ger/core";
import { createLocalServer } from "@ger/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manualClock } from "../../../test/support/clock";
import { configInput } from "../../../test/support/config";
import { createTestTable, dynamodbEndpoint, type TestTable } from "../../../test/support/dynamodb";
import { hooksAlong } from "../../../test/support/lifecycles";
import { formatStatus } from "../src/format-status";
import { resolveTableTarget } from "../src/table-target";

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const clock = manualClock();

describe("resolveTableTarget", () => {
  it("reads the table named with --table at the endpoint given with --endpoint", async () => {
    const [pending] = hooksAlong(6001, 44, ["pending"]);
    await new DynamoDemandStore(table.documentClient, table.tableName).recordJobEvent(
      pending!,
      clock.now(),
    );

    const target = await resolveTableTarget(
      { endpoint: dynamodbEndpoint(), table: table.tableName },
      {},
    );
    const status = await readControlPlaneStatus({
      demand: new DynamoDemandStore(target.client, target.tableName),
      runners: new DynamoRunnerStore(target.client, target.tableName),
      poolControls: new DynamoPoolControls(target.client, target.tableName),
      config: parseAutoscalerConfig(configInput()),
      clock,
    });
    target.client.destroy();

    expect(status.jobs).toEqual([
      expect.objectContaining({ id: 6001, projectId: 44, status: "pending" }),
    ]);
    expect(status.jobsByStatus).toEqual({ pending: 1 });
    expect(status.pendingUnresolved).toBe(1);
    expect(status.pools.map((pool) => [pool.name, pool.maxInstances])).toEqual([
      ["linux-arm", 10],
      ["gpu", 2],
    ]);
    expect(formatStatus(status, target.description)).toContain(
      `Source:   ${table.tableName} at ${dynamodbEndpoint()}`,
    );
  });

  it("targets a deployed table when TABLE_NAME is set", async () => {
    const target = await resolveTableTarget({}, { TABLE_NAME: "autoscaler-prod-Table" });
    target.client.destroy();

    expect(target).toMatchObject({
      tableName: "autoscaler-prod-Table",
      description: "autoscaler-prod-Table in AWS",
    });
  });

  it("reads the local stack's table with the access key its /healthz tells this machine", async () => {
    const health = {
      tableName: "gitlab-runner-autoscaler-local",
      dynamodbEndpoint: "http://127.0.0.1:8000",
      dynamodbAccessKeyId: "ABCDEFGHIJKLMNOPQRST",
    };
    const stack = createLocalServer({
      webhook: async () => ({ statusCode: 200 }),
      health: () => health,
    });
    stack.listen(0, "127.0.0.1");
    await once(stack, "listening");
    try {
      const port = String((stack.address() as AddressInfo).port);
      const target = await resolveTableTarget({}, { PORT: port });
      const credentials = await target.client.config.credentials();
      target.client.destroy();

      expect(target.tableName).toBe(health.tableName);
      expect(credentials.accessKeyId).toBe(health.dynamodbAccessKeyId);
    } finally {
      stack.close();
    }
  });

  it("says how to start a local stack when none answers on PORT", async () => {
    await expect(resolveTableTarget({}, { PORT: "1" })).rejects.toThrow(
      "start one with 'npm start'",
    );
  });
});
