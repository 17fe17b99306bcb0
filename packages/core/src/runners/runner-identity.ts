import { randomBytes } from "node:crypto";

/**
 * A runner's name ties together its record, its EC2 instance (RunnerName tag, client token), its
 * token parameter and its GitLab runner (description). Lower-case so every one of them accepts it.
 */
export const newRunnerName = (pool: string): string => `${pool}-${randomBytes(6).toString("hex")}`;

const SEPARATOR = "/";

/** The GitLab runner description: the deployment first, so orphans can be recognised by it. */
export const runnerDescription = (deployment: string, runnerName: string): string =>
  `${deployment}${SEPARATOR}${runnerName}`;

/** The runner name in a description this deployment wrote; undefined for anyone else's runner. */
export const runnerNameFromDescription = (
  deployment: string,
  description: string,
): string | undefined =>
  description.startsWith(`${deployment}${SEPARATOR}`)
    ? description.slice(deployment.length + 1)
    : undefined;
