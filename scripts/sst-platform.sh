#!/bin/sh
# Installs SST's platform (its types and providers) into .sst/platform without reaching GitHub:
# `sst install` would download Bun and Pulumi; here Bun comes from npm (the `bun` dev dependency)
# and the providers from the npm registry. Needed to type-check sst.config.ts and infra/.
set -eu
cd "$(dirname "$0")/.."
[ -f .sst/platform/config.d.ts ] && exit 0
SST_BUN_PATH="$(readlink -f node_modules/bun/bin/bun.exe)" \
SST_SKIP_DEPENDENCY_CHECK=1 \
SST_STAGE="${SST_STAGE:-typecheck}" \
SST_TELEMETRY_DISABLED=1 \
  npx --no-install sst install
