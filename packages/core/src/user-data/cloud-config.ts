import type { PoolConfig } from "../pools/autoscaler-config";
import { type RunnerScriptSettings, runnerScript } from "./runner-script";

const indent = (text: string, spaces: number) =>
  text
    .split("\n")
    .map((line) => (line ? `${" ".repeat(spaces)}${line}` : line))
    .join("\n");

export const RUNNER_SCRIPT_PATH = "/usr/local/sbin/ephemeral-runner";

/**
 * The pool's user-data (#cloud-config): it holds no secret, only where to fetch one. The script runs
 * detached from cloud-init (systemd-run) so that boot finishes while the job runs.
 */
export const renderUserData = (
  pool: PoolConfig,
  settings: RunnerScriptSettings,
): string => `#cloud-config
# GitLab ephemeral runner, pool ${pool.name}
write_files:
  - path: ${RUNNER_SCRIPT_PATH}
    owner: root:root
    permissions: "0750"
    content: |
${indent(runnerScript(pool, settings), 6)}
runcmd:
  - [systemd-run, --unit=ephemeral-runner, --collect, ${RUNNER_SCRIPT_PATH}]
`;
