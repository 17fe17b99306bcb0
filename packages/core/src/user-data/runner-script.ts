import type { PoolConfig } from "../pools/autoscaler-config";

/** Where a deployment's runner tokens wait; the runner role may read only below it. */
export const tokenParameterPrefix = (deployment: string): string =>
  `/gitlab-runner-autoscaler/${deployment}/runners`;

export interface RunnerScriptSettings {
  readonly gitlabUrl: string;
  /** SSM path under which each runner's token waits, `<prefix>/<runner name>`. */
  readonly tokenParameterPrefix: string;
}

/** Shell-quotes one value for bash (single quotes, embedded ones closed and escaped). */
export const shellQuote = (value: string): string => `'${value.replaceAll("'", `'"'"'`)}'`;

const cacheFlags = (pool: PoolConfig): string[] => {
  if (!pool.cache) return [];
  return [
    "--cache-type s3",
    "--cache-s3-server-address s3.amazonaws.com",
    `--cache-s3-bucket-name ${shellQuote(pool.cache.bucket)}`,
    `--cache-s3-bucket-location ${pool.cache.region ? shellQuote(pool.cache.region) : '"$REGION"'}`,
    "--cache-s3-authentication_type iam",
    ...(pool.cache.shared ? ["--cache-shared"] : []),
  ];
};

/**
 * The script every runner instance runs once: find its identity in its own tags, fetch its token
 * (then delete it), install what the AMI lacks, run exactly one job, and power off whatever
 * happens. Credentials come from IMDSv2; the SSM call is signed by curl, so no AWS CLI is needed.
 */
export const runnerScript = (pool: PoolConfig, settings: RunnerScriptSettings): string => {
  const executorFlags =
    pool.runner.executor === "docker"
      ? ["--executor docker", `--docker-image ${shellQuote(pool.runner.image)}`]
      : ["--executor shell"];
  const runFlags = [
    ...executorFlags,
    ...cacheFlags(pool),
    "--max-builds 1",
    '--wait-timeout "$WAIT_TIMEOUT"',
    "--builds-dir /var/lib/ephemeral-runner/builds",
    "--cache-dir /var/lib/ephemeral-runner/cache",
  ];
  return `#!/bin/bash
# Runs one GitLab CI job on this ephemeral instance, then powers it off.
set -euo pipefail
trap 'systemctl poweroff' EXIT

IMDS=http://169.254.169.254
imds_token=$(curl -fsS -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
metadata() { curl -fsS -H "X-aws-ec2-metadata-token: $imds_token" "$IMDS/latest/meta-data/$1"; }

REGION=$(metadata placement/region)
RUNNER_NAME=$(metadata tags/instance/gitlab-runner-autoscaler:runner)
WAIT_TIMEOUT=$(metadata tags/instance/gitlab-runner-autoscaler:wait-timeout || echo ${pool.idle_time})
PARAMETER=${shellQuote(settings.tokenParameterPrefix)}/"$RUNNER_NAME"

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
CI_SERVER_TOKEN=$(printf '%s' "\${reply:?no token for this runner}" | python3 -c "import json,sys; print(json.load(sys.stdin)['Parameter']['Value'])")
ssm DeleteParameter "{\\"Name\\":\\"$PARAMETER\\"}" >/dev/null || true
export CI_SERVER_TOKEN
export CI_SERVER_URL=${shellQuote(settings.gitlabUrl)}

arch=$(uname -m); case "$arch" in aarch64) arch=arm64 ;; x86_64) arch=amd64 ;; esac
if ! command -v gitlab-runner >/dev/null; then
  curl -fsSL --retry 3 -o /usr/local/bin/gitlab-runner \\
    "https://gitlab-runner-downloads.s3.amazonaws.com/latest/binaries/gitlab-runner-linux-$arch"
  chmod 0755 /usr/local/bin/gitlab-runner
fi
${
  pool.runner.executor === "docker"
    ? `if ! command -v docker >/dev/null; then
  if command -v dnf >/dev/null; then dnf install -y docker; else apt-get update && apt-get install -y docker.io; fi
fi
systemctl start docker`
    : ": shell executor, no Docker needed"
}
mkdir -p /var/lib/ephemeral-runner

# One job at most; exits when it is done or after WAIT_TIMEOUT seconds without one.
gitlab-runner run-single \\
${runFlags.map((flag) => `  ${flag}`).join(" \\\n")} || echo "gitlab-runner exited with $?"
`;
};
