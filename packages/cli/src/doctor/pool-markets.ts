import { marketOrder } from "@ger/core";
import type { Market, PoolConfig } from "@ger/core/types";

/** Every market a pool's launches may use: the scaler's order, and on-demand for retried jobs. */
export const marketsOf = (pool: PoolConfig): Market[] => {
  const retries = pool.instance.retry_on_demand ? marketOrder(pool, true) : [];
  return [...new Set([...marketOrder(pool, false), ...retries])];
};
