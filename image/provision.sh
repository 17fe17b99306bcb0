#!/bin/bash
# Provisions the runners' AMI; image/runner-ami.pkr.hcl runs it as root on the build instance.
# Everything a runner's user-data would otherwise install at boot is installed here: Docker,
# gitlab-runner (the release pinned by the recipe, checked against its published sha256), curl,
# python3, the ECR credential helper and, with GPU=true, the NVIDIA driver and Container Toolkit.
# It leaves no runner registration, config.toml or service behind, and resets cloud-init so that
# every instance launched from the AMI runs its own user-data.
set -euo pipefail

ARCHITECTURE=${ARCHITECTURE:?arm64 or x86_64}
GITLAB_RUNNER_VERSION=${GITLAB_RUNNER_VERSION:?a release such as 17.11.0}
GITLAB_RUNNER_SHA256=${GITLAB_RUNNER_SHA256:-}
GPU=${GPU:-false}
NVIDIA_DRIVER=${NVIDIA_DRIVER:-570-server}

log() { printf '==> %s\n' "$*"; }
die() {
  printf 'provision.sh: %s\n' "$*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || die "run as root"
case "$(uname -m)" in
  aarch64) machine=arm64 runner_arch=arm64 ;;
  x86_64) machine=x86_64 runner_arch=amd64 ;;
  *) die "unsupported machine $(uname -m)" ;;
esac
[[ $machine == "$ARCHITECTURE" ]] || die "built on $machine, but ARCHITECTURE=$ARCHITECTURE"
[[ $GITLAB_RUNNER_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "GITLAB_RUNNER_VERSION=$GITLAB_RUNNER_VERSION is no release"
[[ $GITLAB_RUNNER_SHA256 =~ ^([0-9a-f]{64})?$ ]] || die "GITLAB_RUNNER_SHA256 is no sha256"
[[ $GPU == true || $GPU == false ]] || die "GPU=$GPU: true or false"
[[ $GPU == false || $machine == x86_64 ]] || die "GPU=true needs ARCHITECTURE=x86_64 (g5, g6 instances)"
[[ $NVIDIA_DRIVER =~ ^[0-9]+-server(-open)?$ ]] || die "NVIDIA_DRIVER=$NVIDIA_DRIVER: e.g. 570-server"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
apt_get() {
  apt-get -y -q -o DPkg::Lock::Timeout=600 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}
download() { curl -fsSL --proto '=https' --retry 3 -o "$1" "$2"; }

# The build instance's own first boot may still be running apt.
cloud-init status --wait >/dev/null || true

log "Ubuntu updates, Docker, curl, python3, ECR credential helper"
apt_get update
apt_get dist-upgrade
apt_get install --no-install-recommends ca-certificates curl python3 gnupg pigz \
  docker.io amazon-ecr-credential-helper
systemctl enable docker.service containerd.service
systemctl start docker.service
command -v docker-credential-ecr-login >/dev/null || die "docker-credential-ecr-login is not on PATH"

log "gitlab-runner $GITLAB_RUNNER_VERSION ($runner_arch)"
release="https://gitlab-runner-downloads.s3.amazonaws.com/v$GITLAB_RUNNER_VERSION"
binary="binaries/gitlab-runner-linux-$runner_arch"
download "$work/release.sha256" "$release/release.sha256"
download "$work/gitlab-runner" "$release/$binary"
# release.sha256 lists "<sha256> *binaries/gitlab-runner-linux-<arch>", one line a file.
published=$(awk -v name="$binary" '$2 == name || $2 == "*" name { print $1 }' "$work/release.sha256")
[[ $published =~ ^[0-9a-f]{64}$ ]] || die "release.sha256 of v$GITLAB_RUNNER_VERSION lists no $binary"
if [[ -n $GITLAB_RUNNER_SHA256 && $GITLAB_RUNNER_SHA256 != "$published" ]]; then
  die "v$GITLAB_RUNNER_VERSION publishes sha256 $published, not the pinned $GITLAB_RUNNER_SHA256"
fi
printf '%s  %s\n' "$published" "$work/gitlab-runner" | sha256sum --check --strict --quiet ||
  die "$binary does not match its published sha256"
install -m 0755 -o root -g root "$work/gitlab-runner" /usr/local/bin/gitlab-runner
installed=$(/usr/local/bin/gitlab-runner --version | awk '$1 == "Version:" { print $2 }')
[[ $installed == "$GITLAB_RUNNER_VERSION" ]] || die "gitlab-runner reports version $installed"

if [[ $GPU == true ]]; then
  # Canonical's prebuilt, signed modules for the kernel the AMI boots (the newest installed, after
  # the upgrade above): no DKMS build at boot, and no GPU needed on the build instance.
  kernel=$(linux-version list | sort -V | tail -n 1)
  log "NVIDIA driver $NVIDIA_DRIVER for kernel $kernel"
  # nvidia-smi: one utils package serves both module flavours (570-server, 570-server-open).
  apt_get install "nvidia-headless-no-dkms-$NVIDIA_DRIVER" "nvidia-utils-${NVIDIA_DRIVER%-open}" \
    "linux-modules-nvidia-$NVIDIA_DRIVER-$kernel"
  modinfo -k "$kernel" nvidia >/dev/null || die "no nvidia module for kernel $kernel"

  log "NVIDIA Container Toolkit (the nvidia runtime for Docker)"
  keyring=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg
  download "$work/nvidia.gpgkey" https://nvidia.github.io/libnvidia-container/gpgkey
  gpg --batch --yes --dearmor -o "$keyring" "$work/nvidia.gpgkey"
  download "$work/nvidia.list" https://nvidia.github.io/libnvidia-container/stable/deb/nvidia-container-toolkit.list
  sed "s#deb https://#deb [signed-by=$keyring] https://#g" "$work/nvidia.list" \
    >/etc/apt/sources.list.d/nvidia-container-toolkit.list
  apt_get update
  apt_get install nvidia-container-toolkit
  nvidia-ctk runtime configure --runtime=docker
  systemctl restart docker.service
  runtimes=$(docker info --format '{{json .Runtimes}}')
  [[ $runtimes == *'"nvidia"'* ]] || die "Docker has no nvidia runtime: $runtimes"
fi

# A runner lives for one job: no apt runs at its boot or during its job. Rebuild the image for
# updates instead.
systemctl disable apt-daily.timer apt-daily-upgrade.timer

log "What the image holds"
{
  echo "recipe=image/runner-ami.pkr.hcl"
  echo "gitlab_runner=$installed"
  echo "docker=$(dpkg-query -W -f "\${Version}" docker.io)"
  echo "gpu=$GPU"
  if [[ $GPU == true ]]; then
    echo "nvidia_driver=$(dpkg-query -W -f "\${Version}" "nvidia-headless-no-dkms-$NVIDIA_DRIVER")"
    echo "nvidia_container_toolkit=$(dpkg-query -W -f "\${Version}" nvidia-container-toolkit)"
  fi
} | tee /etc/gitlab-ephemeral-runner-image

log "Cleaning up"
# The user-data writes the only runner config at boot; none may come with the image.
rm -rf /etc/gitlab-runner /etc/gitlab-runner-ephemeral /var/lib/ephemeral-runner \
  /root/.gitlab-runner /home/*/.gitlab-runner
leftovers=$(find / -xdev -name config.toml -path '*gitlab-runner*' -print)
[[ -z $leftovers ]] || die "runner configs left behind: $leftovers"
if systemctl cat gitlab-runner.service >/dev/null 2>&1; then die "a gitlab-runner service is installed"; fi

apt_get autoremove --purge
apt_get clean
rm -rf /var/lib/apt/lists/* /root/.bash_history /home/*/.bash_history
journalctl --rotate >/dev/null
journalctl --vacuum-time=1s >/dev/null
# Instances from the AMI are new instances to cloud-init (their own user-data, host keys and
# machine id), not this build instance booting again.
cloud-init clean --logs --machine-id
sync
