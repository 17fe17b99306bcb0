import { ScanCommand } from "@aws-sdk/client-dynamodb";
import type { ConnectedHooks, HookOwner } from "@ger/core/types";
import { afterAll, describe, expect, it } from "vitest";
import { createTestTable, type TestTable } from "../../../test/support/dynamodb";
import { DynamoConnectedHooks, InMemoryConnectedHooks, scalerWantsRecord } from "../src/index";

const project = (id: number): HookOwner => ({ kind: "project", id });
const group = (id: number): HookOwner => ({ kind: "group", id });

// Each test gets a table of its own: the listing is the whole table's.
const tables: TestTable[] = [];
const freshTable = async () => {
  const table = await createTestTable();
  tables.push(table);
  return table;
};
afterAll(async () => {
  await Promise.all(tables.map((table) => table.drop()));
});

const stores: [string, () => Promise<ConnectedHooks>][] = [
  ["in memory", async () => new InMemoryConnectedHooks()],
  [
    "DynamoDB Local",
    async () => {
      const table = await freshTable();
      return new DynamoConnectedHooks(table.documentClient, table.tableName);
    },
  ],
];

// Every case builds its own store, so the cases pass in any order.
describe.each(stores)("ConnectedHooks contract: %s", (_, makeStore) => {
  it("lists nothing before any connect", async () => {
    const hooks = await makeStore();

    expect(await hooks.list()).toEqual([]);
  });

  it("lists projects first, then groups, each by id as a number", async () => {
    const hooks = await makeStore();
    for (const owner of [group(7), project(100), project(12), group(2), project(3)])
      await hooks.add(owner);

    expect(await hooks.list()).toEqual([project(3), project(12), project(100), group(2), group(7)]);
  });

  it("adds an owner once however often it is added", async () => {
    const hooks = await makeStore();

    await hooks.add(project(12));
    await hooks.add(project(12));

    expect(await hooks.list()).toEqual([project(12)]);
  });

  it("removes only the owner named: a project and a group may share an id", async () => {
    const hooks = await makeStore();
    await hooks.add(project(5));
    await hooks.add(group(5));

    await hooks.remove(project(5));

    expect(await hooks.list()).toEqual([group(5)]);
  });

  it("removes an owner that is not there without complaint", async () => {
    const hooks = await makeStore();
    await hooks.add(group(9));

    await hooks.remove(project(9));
    await hooks.remove(group(9));
    await hooks.remove(group(9));

    expect(await hooks.list()).toEqual([]);
  });
});

describe("DynamoConnectedHooks in the deployment's table", () => {
  it("writes items the scaler's stream filter lets pass by", async () => {
    const table = await freshTable();
    const hooks = new DynamoConnectedHooks(table.documentClient, table.tableName);
    await hooks.add(project(12));
    await hooks.add(group(34));

    const { Items = [] } = await table.client.send(new ScanCommand({ TableName: table.tableName }));

    expect(Items).toHaveLength(2);
    expect(Items.filter((item) => scalerWantsRecord(item))).toEqual([]);
  });
});
