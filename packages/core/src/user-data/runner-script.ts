import { SsmTokenDrop } from "../adapters/ssm/token-drop";
import type { AutoscalerConfig, PoolConfig } from "../pools/autoscaler-config";
import { awsCalls } from "./aws-calls";
import { LOG_SHIPPER_PATH, runnerLogGroupName } from "./boot-logs";
import { type CaCertificate, caCertificatesSetup, RUNNER_CA_FILE } from "./ca-certificates";
import { executorSetup, runnerPathPrefix } from "./executor-setup";
import { runInstallHook } from "./install-hooks";
import { RUNNER_CONFIG_DIR, runnerConfigToml, STATE_DIR } from "./runner-config";
import { shellQuote } from "./shell-quote";

/** Where a deployment's runner tokens wait; the runner role may read only below it. */
export const tokenParameterPrefix = (deployment: string): string =>
  `/gitlab-runner-autoscaler/${deployment}/runners`;

export interface RunnerScriptSettings {
  readonly gitlabUrl: string;
  /** SSM path of the deployment's tokens; an instance's own is `<prefix>/instance/<instance id>`. */
  readonly tokenParameterPrefix: string;
  /** The log group the instance ships its logs to (runner_logs); none when unset. */
  readonly logGroup?: string;
  /** Extra CAs to trust (ca_certificates). */
  readonly caCertificates?: readonly CaCertificate[];
}

/** The settings a deployment's user-data takes from its config. */
/**
 * How long the user-data waits before each new ask for its token: 2, 4, 8, then 15 s, about five
 * minutes in all (the scaler's own retries of a throttled grant back off to a minute).
 */
export const TOKEN_POLL_DELAYS_SECONDS: readonly number[] = Array.from({ length: 24 }, (_, i) =>
  Math.min(15, 2 * 2 ** i),
);
const TOKEN_TRIES = TOKEN_POLL_DELAYS_SECONDS.length;
const TOKEN_WAIT_SECONDS = TOKEN_POLL_DELAYS_SECONDS.reduce((sum, delay) => sum + delay, 0);

export const runnerScriptSettings = (config: AutoscalerConfig): RunnerScriptSettings => ({
  gitlabUrl: config.gitlab_url,
  tokenParameterPrefix: tokenParameterPrefix(config.deployment),
  ...(config.runner_logs.enabled && { logGroup: runnerLogGroupName(config.deployment) }),
  caCertificates: config.ca_certificates,
});

/**
 * A registration kept between jobs shows in GitLab as one runner manager, not one per job:
 * gitlab-runner reads its system_id from beside its config file, and here it is derived from the
 * GitLab runner's id, which POST /runners/verify tells the token's holder (the token goes on
 * curl's stdin, never its arguments). Without an answer, gitlab-runner makes one up, as before.
 */
const stableSystemId = (gitlabUrl: string): string => `runner_id=$(printf 'token=%s' "$token" |
  curl -fsS --data @- ${shellQuote(`${gitlabUrl.replace(/\/+$/, "")}/api/v4/runners/verify`)} |
  python3 -c "import json,sys; print(json.load(sys.stdin)['id'])") || runner_id=
if [[ $runner_id =~ ^[0-9]+$ ]]; then
  printf 's_%s\\n' "$(printf '%s' "$runner_id" | sha256sum | cut -c1-12)" >"$CONFIG_DIR/.runner_system_id"
fi
`;

// On the way out, whatever happened: say why it failed, ship the last logs, power off.
const finish = (settings: RunnerScriptSettings) => `finish() {
  local status=$?
  if ((status != 0)); then echo "ephemeral-runner failed with status $status" >&2; fi
${
  settings.logGroup
    ? `  "$RUNNER_ROOT${LOG_SHIPPER_PATH}" || echo "could not ship the logs" >&2
`
    : ""
}  systemctl poweroff
}
trap finish EXIT`;

/**
 * The script every runner instance runs once: fetch the token granted to its instance id (then
 * delete it), install what the AMI lacks, run exactly one job, and power off whatever
 * happens. The token reaches gitlab-runner in a root-only file only, never in an environment or
 * argument; the pool's hooks run as programs of their own, without it.
 */
export const runnerScript = (pool: PoolConfig, settings: RunnerScriptSettings): string => {
  const cas = settings.caCertificates ?? [];
  return `#!/bin/bash
# Runs one GitLab CI job on this ephemeral instance, then powers it off.
set -euo pipefail
${finish(settings)}

# The runner's config, job shell and work directories lie under RUNNER_ROOT: unset (/) on an
# instance, a scratch directory in the tests.
RUNNER_ROOT=\${RUNNER_ROOT:-}
STATE_DIR=$RUNNER_ROOT${STATE_DIR}
CONFIG_DIR=$RUNNER_ROOT${RUNNER_CONFIG_DIR}

${awsCalls}
# One launch tags all its instances alike: the token is granted to this instance's id alone.
WAIT_TIMEOUT=$(metadata tags/instance/gitlab-runner-autoscaler:wait-timeout || echo ${pool.idle_time})
PARAMETER=${shellQuote(SsmTokenDrop.instanceParameterPrefix(settings.tokenParameterPrefix))}/"$INSTANCE_ID"
ssm() { aws_json ssm "AmazonSSM.$1" "$2"; }

# The scaler grants this instance its token right after launch. In a burst Parameter Store's
# throughput delays grants, and a thousand instances asking every 2 s would use it all: ask
# again after 2, 4, 8, then every 15 s, for ${TOKEN_WAIT_SECONDS} s at most.
delay=2
for _ in $(seq 1 ${TOKEN_TRIES}); do
  if reply=$(ssm GetParameter "{\\"Name\\":\\"$PARAMETER\\",\\"WithDecryption\\":true}"); then break; fi
  sleep "$delay"
  delay=$(( delay * 2 > 15 ? 15 : delay * 2 ))
done
token=$(printf '%s' "\${reply:?no token granted to this instance}" | python3 -c "import json,sys; print(json.load(sys.stdin)['Parameter']['Value'])")
unset reply
ssm DeleteParameter "{\\"Name\\":\\"$PARAMETER\\"}" >/dev/null || true
# The token goes into a TOML string below; anything but token characters could break out of it.
[[ $token =~ ^[A-Za-z0-9._-]+$ ]] || { echo "$PARAMETER holds no runner token" >&2; exit 1; }
${runInstallHook(pool, "pre_install")}${caCertificatesSetup(cas)}
arch=$(uname -m); case "$arch" in aarch64) arch=arm64 ;; x86_64) arch=amd64 ;; esac
if ! command -v gitlab-runner >/dev/null; then
  curl -fsSL --retry 3 -o /usr/local/bin/gitlab-runner \\
    "https://gitlab-runner-downloads.s3.amazonaws.com/latest/binaries/gitlab-runner-linux-$arch"
  chmod 0755 /usr/local/bin/gitlab-runner
fi
${executorSetup(pool, cas.length > 0)}
${runInstallHook(pool, "post_install")}
# gitlab-runner reads its token from a root-only file, never from its environment (which a shell
# job inherits) nor its arguments (which every user sees in /proc/*/cmdline).
install -d -m 0700 -o root -g root "$CONFIG_DIR"
install -m 0600 -o root -g root /dev/null "$CONFIG_DIR/config.toml"
cat >"$CONFIG_DIR/config.toml" <<TOML
${runnerConfigToml(pool, settings.gitlabUrl, cas.length > 0 ? `$CONFIG_DIR/${RUNNER_CA_FILE}` : undefined)}
TOML
${pool.runner.registrations === "reuse" ? stableSystemId(settings.gitlabUrl) : ""}unset token

# One job at most; exits when it is done or after WAIT_TIMEOUT seconds without one.
${runnerPathPrefix(pool)}gitlab-runner run-single --config "$CONFIG_DIR/config.toml" --runner ${shellQuote(pool.name)} \\
  --max-builds 1 --wait-timeout "$WAIT_TIMEOUT" || echo "gitlab-runner exited with $?"
`;
};
