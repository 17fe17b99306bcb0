import { loadConfigFile, renderUserData, runnerScriptSettings } from "@ger/core";
import { UsageError } from "../table-target";

/** `render-user-data`: exactly the user-data a launch in this pool sends (it holds no secret). */
export const runRenderUserData = async (options: {
  pool?: string;
  config?: string;
}): Promise<void> => {
  const config = await loadConfigFile(options.config ?? process.env.AUTOSCALER_CONFIG);
  const names = config.pools.map((pool) => pool.name);
  const pool = options.pool
    ? config.pools.find((candidate) => candidate.name === options.pool)
    : config.pools[0];
  if (!pool)
    throw new UsageError(`no pool '${options.pool}' in the config; pools: ${names.join(", ")}`);
  if (!options.pool && names.length > 1)
    console.error(`(pool ${pool.name}; --pool picks another of: ${names.join(", ")})`);
  process.stdout.write(renderUserData(pool, runnerScriptSettings(config)));
};
