import { DynamoPoolControls, loadConfigFile } from "@ger/core";
import { resolveTableTarget, UsageError } from "../table-target";

export interface DrainOptions {
  readonly pool?: string;
  readonly undo: boolean;
  readonly config?: string;
  readonly endpoint?: string;
  readonly table?: string;
}

/** `drain --pool NAME [--undo]`: no new launches there; its runners finish their jobs and go. */
export const runDrain = async (options: DrainOptions): Promise<void> => {
  const config = await loadConfigFile(options.config ?? process.env.AUTOSCALER_CONFIG);
  const names = config.pools.map((pool) => pool.name);
  if (!options.pool || !names.includes(options.pool)) {
    throw new UsageError(`drain needs --pool, one of: ${names.join(", ")}`);
  }
  const target = await resolveTableTarget(options, process.env);
  try {
    await new DynamoPoolControls(target.client, target.tableName).setDrained(
      options.pool,
      !options.undo,
    );
  } finally {
    target.client.destroy();
  }
  console.log(
    options.undo
      ? `pool ${options.pool} launches runners again`
      : `pool ${options.pool} drained: no new runners; running jobs finish, then its runners are retired (undo with --undo)`,
  );
};
