import type { PoolConfig } from "../pools/autoscaler-config";
import {
  LOG_SHIP_FIRST_S,
  LOG_SHIP_INTERVAL_S,
  LOG_SHIPPER_PATH,
  logShipperScript,
} from "./boot-logs";
import { installHookPath, installHookScript, installHooks } from "./install-hooks";
import { type RunnerScriptSettings, runnerScript } from "./runner-script";

const indent = (text: string, spaces: number) =>
  text
    .split("\n")
    .map((line) => (line ? `${" ".repeat(spaces)}${line}` : line))
    .join("\n");

export const RUNNER_SCRIPT_PATH = "/usr/local/sbin/ephemeral-runner";

/** The programs the user-data writes: the runner's script, its log shipper, the pool's hooks. */
export const userDataFiles = (
  pool: PoolConfig,
  settings: RunnerScriptSettings,
): { path: string; content: string }[] => [
  { path: RUNNER_SCRIPT_PATH, content: runnerScript(pool, settings) },
  ...(settings.logGroup
    ? [{ path: LOG_SHIPPER_PATH, content: logShipperScript(settings.logGroup) }]
    : []),
  ...installHooks(pool).map(([hook, snippet]) => ({
    path: installHookPath(hook),
    content: installHookScript(hook, snippet),
  })),
];

/**
 * The pool's user-data (#cloud-config): it holds no secret, only where to fetch one. The script runs
 * detached from cloud-init (systemd-run) so that boot finishes while the job runs; the log shipper
 * runs on a timer beside it, so even a boot that hangs leaves its logs.
 */
export const renderUserData = (pool: PoolConfig, settings: RunnerScriptSettings): string => {
  const files = userDataFiles(pool, settings)
    .map(
      ({ path, content }) => `  - path: ${path}
    owner: root:root
    permissions: "0750"
    content: |
${indent(content, 6)}`,
    )
    .join("\n");
  const shipper = settings.logGroup
    ? `  - [systemd-run, --unit=ephemeral-runner-logs, --on-active=${LOG_SHIP_FIRST_S}, --on-unit-active=${LOG_SHIP_INTERVAL_S}, ${LOG_SHIPPER_PATH}]\n`
    : "";
  return `#cloud-config
# GitLab ephemeral runner, pool ${pool.name}
write_files:
${files}
runcmd:
${shipper}  - [systemd-run, --unit=ephemeral-runner, --collect, ${RUNNER_SCRIPT_PATH}]
`;
};
