import type { AutoscalerConfigInput } from "@ger/core/types";
import { afterEach } from "vitest";
import { createTestTable, type TestTable } from "./dynamodb";
import { scalerWorld } from "./scaler-world";

export type World = ReturnType<typeof scalerWorld>;
export type MakeWorld = (config?: AutoscalerConfigInput) => Promise<World>;

/**
 * For `describe.each`: the same cases with the state in memory and in DynamoDB Local. Each world
 * gets its own table (runner names and the ledger must not be shared), dropped after the case.
 */
export const stateWorlds = (): [string, MakeWorld][] => {
  const tables: TestTable[] = [];
  afterEach(async () => {
    await Promise.all(tables.splice(0).map((table) => table.drop()));
  });
  return [
    ["in memory", async (config) => scalerWorld(config)],
    [
      "DynamoDB Local",
      async (config) => {
        const table = await createTestTable();
        tables.push(table);
        return scalerWorld(config, { table });
      },
    ],
  ];
};
