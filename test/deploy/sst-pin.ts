import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The SST release this harness mirrors: how its CLI builds sst.config.ts (pkg/project/run.go,
 * pkg/js/js.go), bundles a Node function (pkg/runtime/node/build.go) and answers the program's
 * RPC calls (pkg/server). Another release may build differently: the harness refuses to run.
 */
export const PINNED_SST_VERSION = "4.17.1";

/** Platform files the harness builds with; a release that moves them changed its internals. */
const PLATFORM_FILES = ["src/shim/run.js", "src/auto/run.ts", "src/components/index.ts"];

export const assertPinnedSst = (root: string) => {
  const cli = JSON.parse(readFileSync(join(root, "node_modules/sst/package.json"), "utf8")).version;
  const platform = readFileSync(join(root, ".sst/platform/version"), "utf8").trim();
  const differs = [cli, platform].filter((version) => version !== PINNED_SST_VERSION);
  if (differs.length > 0)
    throw new Error(
      `test/deploy mirrors SST ${PINNED_SST_VERSION}'s CLI, but node_modules/sst is ${cli} and ` +
        `.sst/platform is ${platform}. Compare sst/sst's pkg/project/run.go, pkg/js/js.go and ` +
        `pkg/runtime/node/build.go between the two releases, update test/deploy, then PINNED_SST_VERSION.`,
    );
  const missing = PLATFORM_FILES.filter((file) => !existsSync(join(root, ".sst/platform", file)));
  if (missing.length > 0)
    throw new Error(
      `SST ${PINNED_SST_VERSION}'s platform lacks ${missing.join(", ")}: rm -rf .sst/platform, then sh scripts/sst-platform.sh`,
    );
};
