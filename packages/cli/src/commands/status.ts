import {
  DynamoDemandStore,
  DynamoPoolControls,
  DynamoRunnerStore,
  loadConfigFile,
  readControlPlaneStatus,
  systemClock,
} from "@ger/core";
import { formatStatus } from "../format-status";
import { resolveTableTarget } from "../table-target";

export interface StatusOptions {
  readonly json: boolean;
  readonly endpoint?: string;
  readonly table?: string;
  readonly config?: string;
}

/** `status`: jobs, runners and pools as the control plane's table holds them. */
export const runStatus = async (options: StatusOptions): Promise<void> => {
  const config = await loadConfigFile(options.config ?? process.env.AUTOSCALER_CONFIG);
  const target = await resolveTableTarget(options, process.env);
  try {
    const status = await readControlPlaneStatus({
      demand: new DynamoDemandStore(target.client, target.tableName),
      runners: new DynamoRunnerStore(target.client, target.tableName),
      poolControls: new DynamoPoolControls(target.client, target.tableName),
      config,
      clock: systemClock,
    });
    console.log(
      options.json ? JSON.stringify(status, null, 2) : formatStatus(status, target.description),
    );
  } finally {
    target.client.destroy();
  }
};
