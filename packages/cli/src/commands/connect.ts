import { loadConfigFile } from "@ger/core";
import type { HookOwner } from "@ger/core/types";
import { connectDeployment } from "../connect/connect-deployment";
import { resolveDeploymentTarget } from "../deployment-target";
import { UsageError } from "../table-target";

export interface ConnectOptions {
  readonly project?: string;
  readonly group?: string;
  readonly stage?: string;
  readonly config?: string;
  readonly remove: boolean;
}

const ownerOf = ({ project, group }: ConnectOptions): HookOwner => {
  if ((project === undefined) === (group === undefined))
    throw new UsageError("connect needs exactly one of --project ID and --group ID");
  const kind = project !== undefined ? "project" : "group";
  const id = Number(project ?? group);
  if (!Number.isSafeInteger(id) || id < 1)
    throw new UsageError(`--${kind} needs the ${kind}'s numeric id (GitLab shows it on its page)`);
  return { kind, id };
};

/**
 * `connect --project ID | --group ID [--stage NAME] [--remove]`: this deployment's webhook on the
 * project or group, job events only, SSL verified, with the token the webhook expects; again and
 * again gives the same hook.
 */
export const runConnect = async (
  options: ConnectOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> => {
  const owner = ownerOf(options);
  const config = await loadConfigFile(options.config ?? env.AUTOSCALER_CONFIG);
  const target = await resolveDeploymentTarget(options, config, env);
  try {
    const { message, notes } = await connectDeployment(target, owner, options.remove);
    console.log(message);
    for (const note of notes) console.error(`(${note})`);
  } finally {
    target.close();
  }
};
