import type { PoolConfig } from "../pools/autoscaler-config";

export type InstallHook = "pre_install" | "post_install";

/** Where the user-data writes the pool's hook; the script runs it as a program of its own. */
export const installHookPath = (hook: InstallHook): string =>
  `/usr/local/lib/ephemeral-runner/${hook.replace("_", "-")}`;

/** The hook as the file it becomes: bash, strict, the operator's snippet as it is. */
export const installHookScript = (hook: InstallHook, snippet: string): string =>
  `#!/bin/bash
# ${hook} of this pool (autoscaler.config.ts), run as root by the runner's script.
set -euo pipefail
${snippet}
`;

/** The hooks the pool sets, in order. */
export const installHooks = (pool: PoolConfig): [InstallHook, string][] =>
  (["pre_install", "post_install"] as const).flatMap((hook) => {
    const snippet = pool.instance[hook];
    return snippet === undefined ? [] : [[hook, snippet] as [InstallHook, string]];
  });

/**
 * Runs the hook in a process of its own: the token, a variable of the script that is never
 * exported, is not in its environment; a failing hook ends the boot like any failed step.
 */
export const runInstallHook = (pool: PoolConfig, hook: InstallHook): string =>
  pool.instance[hook] === undefined
    ? ""
    : `\n# The pool's ${hook} hook.\nbash "$RUNNER_ROOT${installHookPath(hook)}"\n`;
