import type { Market } from "@ger/core/types";

/**
 * Hourly Linux prices in us-east-1, USD. On-demand: the list prices as public price tables give
 * them in 2026 (m7g.large $0.0816 and m6i.large $0.096 also in dated 2026 articles); no AWS page
 * could be read from here, so check them with `aws pricing get-products` before quoting a bill.
 * Spot: an assumption, SPOT_DISCOUNT off on-demand (AWS: "up to 90%"; a dated 2026 us-east-1
 * snapshot shows 50-70% off for these families). A type not listed is refused at the start of a
 * run rather than priced by a guess.
 */
export const ON_DEMAND_HOURLY: Readonly<Record<string, number>> = {
  "m7g.large": 0.0816,
  "c7g.large": 0.0725,
  "t4g.large": 0.0672,
  "m7i.large": 0.1008,
  "m6i.large": 0.096,
  "m7a.large": 0.11592,
  "t3.micro": 0.0104,
  "t4g.small": 0.0168,
};

export const SPOT_DISCOUNT = 0.6;

export const PRICES_AS_OF =
  "on-demand: us-east-1 Linux list prices (public tables, 2026); spot: assumed 60% below on-demand";

export const hourlyPrice = (instanceType: string, market: Market): number => {
  const onDemand = ON_DEMAND_HOURLY[instanceType];
  if (onDemand === undefined) throw new Error(`no price for instance type ${instanceType}`);
  return market === "spot" ? onDemand * (1 - SPOT_DISCOUNT) : onDemand;
};
