import type { PoolConfig } from "../pools/autoscaler-config";
import type { Market } from "./runner-record";

/** The markets a launch tries, in order: what one cannot fill, the next is asked for. */
export const marketOrder = (pool: PoolConfig, onDemand: boolean | undefined): Market[] => {
  if (onDemand) return ["on-demand"];
  switch (pool.instance.market) {
    case "spot":
      return ["spot"];
    case "on-demand":
      return ["on-demand"];
    case "spot-then-on-demand":
      return ["spot", "on-demand"];
  }
};
