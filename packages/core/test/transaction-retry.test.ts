import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { retryOnConflict } from "../src/adapters/dynamodb/transaction-retry";

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(", ")}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

describe("retryOnConflict", () => {
  it("runs a transaction again when it lost a race", async () => {
    let calls = 0;

    const result = await retryOnConflict(async () => {
      calls += 1;
      if (calls < 3) throw cancelled("None", "TransactionConflict", "None");
      return "done";
    });

    expect([result, calls]).toEqual(["done", 3]);
  });

  it("does not retry a failed condition: that is an answer, not a race", async () => {
    let calls = 0;
    const attempt = retryOnConflict(async () => {
      calls += 1;
      throw cancelled("None", "ConditionalCheckFailed", "None");
    });

    await expect(attempt).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(calls).toBe(1);
  });

  it("gives up after six attempts", async () => {
    let calls = 0;
    const attempt = retryOnConflict(async () => {
      calls += 1;
      throw cancelled("TransactionConflict");
    });

    await expect(attempt).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(calls).toBe(6);
  });
});
