import type { AutoscalerConfig } from "@ger/core/types";

/**
 * The config with pipeline lookahead flipped on every pool, for `--compare`'s extra default run:
 * all pools off where any has it on, else all on. Its label names what it turned it to.
 */
export const lookaheadFlipped = (
  config: AutoscalerConfig,
): { readonly config: AutoscalerConfig; readonly label: string } => {
  const enabled = !config.pools.some((pool) => pool.lookahead.enabled);
  return {
    config: {
      ...config,
      pools: config.pools.map((pool) => ({ ...pool, lookahead: { ...pool.lookahead, enabled } })),
    },
    label: `default-lookahead-${enabled ? "on" : "off"}`,
  };
};
