import type { PoolConfig } from "../pools/autoscaler-config";
import { shellQuote } from "./shell-quote";

/** Where the first NVMe instance-store volume is mounted, when the type has one. */
const INSTANCE_STORE_MOUNT = "/mnt/instance-store";

// Instance-store volumes are NVMe devices of this model; EBS volumes are "Amazon Elastic Block Store".
const instanceStore = `# Docker's data root on the type's NVMe instance store, when it has one: local, fast, free.
store=$(lsblk -dnpo NAME,MODEL | awk '/Amazon EC2 NVMe Instance Storage/ {print $1; exit}')
if [[ -n $store ]] && ! findmnt --source "$store" >/dev/null; then
  mkfs.ext4 -F -q -E nodiscard "$store"
  install -d -m 0711 "$RUNNER_ROOT${INSTANCE_STORE_MOUNT}"
  mount -o noatime "$store" "$RUNNER_ROOT${INSTANCE_STORE_MOUNT}"
  docker_data_root=${INSTANCE_STORE_MOUNT}/docker
fi`;

// Merged into what the AMI has (the NVIDIA toolkit writes its runtime there), never replacing it.
const mergeDaemonConfig = `python3 - "$RUNNER_ROOT/etc/docker/daemon.json" "$daemon_settings" "$docker_data_root" <<'DAEMON'
import json, os, sys
path, settings, data_root = sys.argv[1:4]
try:
    with open(path) as f:
        config = json.load(f)
except (OSError, ValueError):
    config = {}
config.update(json.loads(settings))
if data_root:
    config["data-root"] = data_root
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump(config, f, indent=2)
DAEMON`;

const ecrCredentialHelper = `# Images from ECR pulled with the instance role: gitlab-runner reads root's Docker config.
if ! command -v docker-credential-ecr-login >/dev/null; then
  if command -v dnf >/dev/null; then dnf install -y amazon-ecr-credential-helper; else apt-get update && apt-get install -y amazon-ecr-credential-helper; fi
fi
install -d -m 0700 "$RUNNER_ROOT/root/.docker"
printf '%s\\n' '{"credsStore":"ecr-login"}' >"$RUNNER_ROOT/root/.docker/config.json"`;

const gpuCheck = `command -v nvidia-smi >/dev/null || echo "pool asks for GPUs (runner.docker.gpus) but the AMI has no NVIDIA driver: see image/README.md" >&2`;

/**
 * Docker for the docker executor: installed where the AMI lacks it, its daemon given the pool's
 * registry mirror and the instance store (merged into the AMI's daemon.json), and restarted, not
 * merely started, only when its settings or the CAs it trusts changed under an AMI that runs it.
 */
export const dockerSetup = (pool: PoolConfig, trustsExtraCas: boolean): string => {
  const { docker } = pool.runner;
  const daemon = docker.registry_mirror ? { "registry-mirrors": [docker.registry_mirror] } : {};
  return [
    `if ! command -v docker >/dev/null; then
  if command -v dnf >/dev/null; then dnf install -y docker; else apt-get update && apt-get install -y docker.io; fi
fi
docker_data_root=
docker_restart=${trustsExtraCas ? "yes" : ""}`,
    ...(pool.instance.docker_on_instance_store ? [instanceStore] : []),
    `daemon_settings=${shellQuote(JSON.stringify(daemon))}
if [[ $daemon_settings != '{}' || -n $docker_data_root ]]; then
${mergeDaemonConfig}
  docker_restart=yes
fi`,
    ...(docker.ecr_credential_helper ? [ecrCredentialHelper] : []),
    ...(docker.gpus ? [gpuCheck] : []),
    `if [[ -n $docker_restart ]]; then systemctl restart docker; else systemctl start docker; fi
mkdir -p "$STATE_DIR"`,
  ].join("\n");
};
