import type { PoolConfig } from "../pools/autoscaler-config";
import { dockerSetup } from "./docker-setup";

/** Shell jobs run as this user: no sudo, no docker group, no way into the runner's config. */
const JOB_USER = "gitlab-runner";

// As gitlab-runner's package makes its user, without a home skeleton: Debian's .bash_logout
// fails shell jobs. A user the AMI already has loses any supplementary group (docker, sudo).
const shellSetup = `if ! id -u ${JOB_USER} >/dev/null 2>&1; then
  useradd --system --shell /bin/bash --comment 'GitLab CI jobs' --create-home --skel /dev/null ${JOB_USER}
fi
usermod --groups '' ${JOB_USER}
mkdir -p "$STATE_DIR/builds" "$STATE_DIR/cache"
chown ${JOB_USER}: "$STATE_DIR/builds" "$STATE_DIR/cache"

# run-single has no --user: its shell executor would run jobs as root. It runs each job script
# through the first bash on its PATH, and this one drops to ${JOB_USER} (and off that PATH).
JOB_SHELL_DIR=$RUNNER_ROOT/usr/local/lib/ephemeral-runner/job-shell
install -d -m 0755 "$JOB_SHELL_DIR"
cat >"$JOB_SHELL_DIR/bash" <<'JOB_SHELL'
#!/bin/bash
PATH=\${PATH#"\${0%/*}:"}
exec runuser -u ${JOB_USER} -- /bin/bash "$@"
JOB_SHELL
chmod 0755 "$JOB_SHELL_DIR/bash"`;

/** What the instance prepares for the pool's executor before gitlab-runner starts. */
export const executorSetup = (pool: PoolConfig, trustsExtraCas: boolean): string =>
  pool.runner.executor === "docker" ? dockerSetup(pool, trustsExtraCas) : shellSetup;

/** Shell pools start gitlab-runner with the job shell first on its PATH. */
export const runnerPathPrefix = (pool: PoolConfig): string =>
  pool.runner.executor === "shell" ? 'PATH="$JOB_SHELL_DIR:$PATH" ' : "";
