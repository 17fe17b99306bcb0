import { SsmTokenDrop } from "../adapters/ssm/token-drop";
import type { PoolConfig } from "../pools/autoscaler-config";
import { executorSetup, runnerPathPrefix } from "./executor-setup";
import { RUNNER_CONFIG_DIR, runnerConfigToml, STATE_DIR } from "./runner-config";

/** Where a deployment's runner tokens wait; the runner role may read only below it. */
export const tokenParameterPrefix = (deployment: string): string =>
  `/gitlab-runner-autoscaler/${deployment}/runners`;

export interface RunnerScriptSettings {
  readonly gitlabUrl: string;
  /** SSM path of the deployment's tokens; an instance's own is `<prefix>/instance/<instance id>`. */
  readonly tokenParameterPrefix: string;
}

/** Shell-quotes one value for bash (single quotes, embedded ones closed and escaped). */
export const shellQuote = (value: string): string => `'${value.replaceAll("'", `'"'"'`)}'`;

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

/**
 * The script every runner instance runs once: fetch the token granted to its instance id (then
 * delete it), install what the AMI lacks, run exactly one job, and power off whatever
 * happens. Credentials come from IMDSv2; the SSM call is signed by curl, so no AWS CLI is needed.
 * The token reaches gitlab-runner in a root-only file only, never in an environment or argument.
 */
export const runnerScript = (
  pool: PoolConfig,
  settings: RunnerScriptSettings,
): string => `#!/bin/bash
# Runs one GitLab CI job on this ephemeral instance, then powers it off.
set -euo pipefail
trap 'systemctl poweroff' EXIT

# The runner's config, job shell and work directories lie under RUNNER_ROOT: unset (/) on an
# instance, a scratch directory in the tests.
RUNNER_ROOT=\${RUNNER_ROOT:-}
STATE_DIR=$RUNNER_ROOT${STATE_DIR}
CONFIG_DIR=$RUNNER_ROOT${RUNNER_CONFIG_DIR}

IMDS=http://169.254.169.254
imds_token=$(curl -fsS -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
metadata() { curl -fsS -H "X-aws-ec2-metadata-token: $imds_token" "$IMDS/latest/meta-data/$1"; }

REGION=$(metadata placement/region)
# One launch tags all its instances alike: the token is granted to this instance's id alone.
INSTANCE_ID=$(metadata instance-id)
WAIT_TIMEOUT=$(metadata tags/instance/gitlab-runner-autoscaler:wait-timeout || echo ${pool.idle_time})
PARAMETER=${shellQuote(SsmTokenDrop.instanceParameterPrefix(settings.tokenParameterPrefix))}/"$INSTANCE_ID"

role=$(metadata iam/security-credentials/)
credentials=$(metadata "iam/security-credentials/$role")
field() { printf '%s' "$credentials" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
access_key=$(field AccessKeyId)
secret_key=$(field SecretAccessKey)
session_token=$(field Token)

ssm() {
  curl -fsS --aws-sigv4 "aws:amz:$REGION:ssm" --user "$access_key:$secret_key" \\
    -H "x-amz-security-token: $session_token" \\
    -H "Content-Type: application/x-amz-json-1.1" -H "X-Amz-Target: AmazonSSM.$1" \\
    --data "$2" "https://ssm.$REGION.amazonaws.com/"
}

# The scaler grants this instance its token right after launch; wait for that, briefly.
for _ in $(seq 1 30); do
  if reply=$(ssm GetParameter "{\\"Name\\":\\"$PARAMETER\\",\\"WithDecryption\\":true}"); then break; fi
  sleep 2
done
token=$(printf '%s' "\${reply:?no token granted to this instance}" | python3 -c "import json,sys; print(json.load(sys.stdin)['Parameter']['Value'])")
unset reply
ssm DeleteParameter "{\\"Name\\":\\"$PARAMETER\\"}" >/dev/null || true
# The token goes into a TOML string below; anything but token characters could break out of it.
[[ $token =~ ^[A-Za-z0-9._-]+$ ]] || { echo "$PARAMETER holds no runner token" >&2; exit 1; }

arch=$(uname -m); case "$arch" in aarch64) arch=arm64 ;; x86_64) arch=amd64 ;; esac
if ! command -v gitlab-runner >/dev/null; then
  curl -fsSL --retry 3 -o /usr/local/bin/gitlab-runner \\
    "https://gitlab-runner-downloads.s3.amazonaws.com/latest/binaries/gitlab-runner-linux-$arch"
  chmod 0755 /usr/local/bin/gitlab-runner
fi
${executorSetup(pool)}

# gitlab-runner reads its token from a root-only file, never from its environment (which a shell
# job inherits) nor its arguments (which every user sees in /proc/*/cmdline).
install -d -m 0700 -o root -g root "$CONFIG_DIR"
install -m 0600 -o root -g root /dev/null "$CONFIG_DIR/config.toml"
cat >"$CONFIG_DIR/config.toml" <<TOML
${runnerConfigToml(pool, settings.gitlabUrl)}
TOML
${pool.runner.registrations === "reuse" ? stableSystemId(settings.gitlabUrl) : ""}unset token

# One job at most; exits when it is done or after WAIT_TIMEOUT seconds without one.
${runnerPathPrefix(pool)}gitlab-runner run-single --config "$CONFIG_DIR/config.toml" --runner ${shellQuote(pool.name)} \\
  --max-builds 1 --wait-timeout "$WAIT_TIMEOUT" || echo "gitlab-runner exited with $?"
`;
