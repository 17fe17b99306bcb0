import type { Lease } from "@ger/core/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import { createTestTable, type TestTable } from "../../../test/support/dynamodb";
import { DynamoLease, InMemoryLease } from "../src/index";

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const leases: [string, () => Lease][] = [
  ["in memory", () => new InMemoryLease()],
  ["DynamoDB Local", () => new DynamoLease(table.documentClient, table.tableName)],
];

describe.each(leases)("Lease contract: %s", (kind, makeLease) => {
  const now = SUNDAY_MORNING;
  const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);
  const name = `reaper-${kind}`;

  it("gives a lease to one holder at a time until it runs out", async () => {
    const lease = makeLease();

    const first = await lease.tryAcquire(name, "a", 60, now);
    const second = await lease.tryAcquire(name, "b", 60, later(30));
    const renewed = await lease.tryAcquire(name, "a", 60, later(30));
    const afterExpiry = await lease.tryAcquire(name, "b", 60, later(91));

    expect([first, second, renewed, afterExpiry]).toEqual([true, false, true, true]);
  });

  it("lets only its holder release it", async () => {
    const lease = makeLease();
    await lease.tryAcquire(`${name}-2`, "a", 60, now);

    await lease.release(`${name}-2`, "b");
    const stillHeld = !(await lease.tryAcquire(`${name}-2`, "c", 60, now));
    await lease.release(`${name}-2`, "a");

    expect(stillHeld).toBe(true);
    expect(await lease.tryAcquire(`${name}-2`, "c", 60, now)).toBe(true);
  });

  it("grants exactly one of many concurrent claims", async () => {
    const lease = makeLease();

    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => lease.tryAcquire(`${name}-3`, `h${i}`, 60, now)),
    );

    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
