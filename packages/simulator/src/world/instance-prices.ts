import type { Market } from "@ger/core/types";

/**
 * Hourly Linux prices in us-east-1, USD. PRICES_AS_OF names the source and its date; a type not
 * listed is refused at the start of a run rather than priced by a guess.
 */
export const PRICES_AS_OF = "AWS EC2 on-demand price list, us-east-1 Linux (see README)";

export const INSTANCE_PRICES: Readonly<Record<string, { onDemand: number; spot: number }>> = {
  "m7g.large": { onDemand: 0.0816, spot: 0.0339 },
  "c7g.large": { onDemand: 0.0725, spot: 0.0309 },
  "t4g.large": { onDemand: 0.0672, spot: 0.0262 },
  "m7i.large": { onDemand: 0.1008, spot: 0.0436 },
  "m6i.large": { onDemand: 0.096, spot: 0.0414 },
  "m7a.large": { onDemand: 0.11592, spot: 0.0489 },
  "t3.micro": { onDemand: 0.0104, spot: 0.0031 },
  "t4g.small": { onDemand: 0.0168, spot: 0.005 },
};

export const hourlyPrice = (instanceType: string, market: Market): number => {
  const price = INSTANCE_PRICES[instanceType];
  if (!price) throw new Error(`no price for instance type ${instanceType}`);
  return market === "spot" ? price.spot : price.onDemand;
};

/** The instance types the simulator can bill, for a config's check. */
export const pricedTypes = (): string[] => Object.keys(INSTANCE_PRICES);
