import { setTimeout as sleep } from "node:timers/promises";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";

const MAX_ATTEMPTS = 6;

const isConflict = (error: unknown) =>
  error instanceof TransactionCanceledException &&
  (error.CancellationReasons ?? []).some((reason) => reason.Code === "TransactionConflict");

/**
 * Runs a transaction again when it lost a race with another transaction on the same items (the
 * ledger counters are contended by design); the SDK does not retry these. Full jitter, capped.
 */
export const retryOnConflict = async <T>(attempt: () => Promise<T>): Promise<T> => {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isConflict(error) || tries >= MAX_ATTEMPTS) throw error;
      await sleep(Math.random() * Math.min(200, 10 * 2 ** tries));
    }
  }
};
