# The runners' AMI: Ubuntu 24.04 with gitlab-runner, Docker, the ECR credential helper and, with
# gpu = true, the NVIDIA driver and Container Toolkit preinstalled, so that a runner's user-data
# installs nothing and boots in about 30 s. Build: see image/README.md.

packer {
  required_version = ">= 1.10.0"
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0"
    }
  }
}

variable "region" {
  type        = string
  description = "Region to build the AMI in (and the pools' region)."
  default     = "eu-central-1"
}

variable "architecture" {
  type        = string
  description = "arm64 (Graviton) or x86_64."
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "The architecture must be arm64 or x86_64."
  }
}

variable "gpu" {
  type        = bool
  description = "Bake the NVIDIA driver and Container Toolkit (x86_64 only, for g5/g6 pools)."
  default     = false
}

variable "nvidia_driver" {
  type        = string
  description = "Ubuntu's NVIDIA driver series, as in nvidia-headless-no-dkms-<series> (gpu = true only)."
  default     = "570-server"

  validation {
    condition     = can(regex("^[0-9]+-server(-open)?$", var.nvidia_driver))
    error_message = "The nvidia_driver must look like 570-server or 570-server-open."
  }
}

variable "gitlab_runner_version" {
  type        = string
  description = "gitlab-runner release to install (17.1 or later: the user-data runs run-single --config)."
  default     = "17.11.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.gitlab_runner_version))
    error_message = "The gitlab_runner_version must be a release such as 17.11.0 (no leading v)."
  }
}

variable "gitlab_runner_sha256" {
  type        = string
  description = "Optional: the binary's expected sha256, checked besides the release's published one."
  default     = ""

  validation {
    condition     = can(regex("^([0-9a-f]{64})?$", var.gitlab_runner_sha256))
    error_message = "The gitlab_runner_sha256 must be empty or 64 lowercase hex digits."
  }
}

variable "subnet_id" {
  type        = string
  description = "Subnet for the build instance (it must reach the internet); empty: the default VPC."
  default     = ""
}

variable "instance_type" {
  type        = string
  description = "Build instance type; empty: picked for the architecture."
  default     = ""
}

variable "ami_name" {
  type        = string
  description = "Prefix of the AMI's name; the architecture, gpu and a timestamp follow."
  default     = "gitlab-ephemeral-runner"
}

variable "root_volume_size_gb" {
  type        = number
  description = "Root volume of the AMI (pools' disk_size_gb must be at least this); 0: 8, or 16 with gpu."
  default     = 0
}

variable "kms_key_id" {
  type        = string
  description = "KMS key for the encrypted root volume; empty: the account's aws/ebs key."
  default     = ""
}

locals {
  # The build instance needs no GPU: the driver is installed for the kernel the AMI boots.
  instance_type = var.instance_type != "" ? var.instance_type : (var.architecture == "arm64" ? "t4g.large" : "t3.large")
  ubuntu_arch   = var.architecture == "arm64" ? "arm64" : "amd64"
  volume_size   = var.root_volume_size_gb > 0 ? var.root_volume_size_gb : (var.gpu ? 16 : 8)
  variant       = "${var.architecture}${var.gpu ? "-gpu" : ""}"
  built_at      = formatdate("YYYYMMDD-hhmmss", timestamp())
}

source "amazon-ebs" "runner" {
  region        = var.region
  instance_type = local.instance_type
  subnet_id     = var.subnet_id

  source_ami_filter {
    filters = {
      name                = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${local.ubuntu_arch}-server-*"
      architecture        = var.architecture
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["099720109477"] # Canonical
    most_recent = true
  }

  ssh_username                              = "ubuntu"
  temporary_security_group_source_public_ip = true
  ssh_clear_authorized_keys                 = true

  # IMDSv2 only on the build instance, and the AMI asks for it on every instance launched from it.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  imds_support = "v2.0"

  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_type           = "gp3"
    volume_size           = local.volume_size
    encrypted             = true
    kms_key_id            = var.kms_key_id
    delete_on_termination = true
  }

  ami_name        = "${var.ami_name}-${local.variant}-${local.built_at}"
  ami_description = "GitLab ephemeral runner: Ubuntu 24.04 ${var.architecture}, gitlab-runner ${var.gitlab_runner_version}, Docker${var.gpu ? ", NVIDIA ${var.nvidia_driver}" : ""}"
  ena_support     = true

  run_tags = {
    Name   = "packer: ${var.ami_name}-${local.variant}"
    Recipe = "image/runner-ami.pkr.hcl"
  }
  tags = {
    Name                = "${var.ami_name}-${local.variant}"
    Recipe              = "image/runner-ami.pkr.hcl"
    Architecture        = var.architecture
    GitLabRunnerVersion = var.gitlab_runner_version
    Docker              = "docker.io (Ubuntu 24.04)"
    NvidiaDriver        = var.gpu ? var.nvidia_driver : "none"
    NvidiaContainer     = var.gpu ? "nvidia-container-toolkit" : "none"
    BaseAMI             = "{{ .SourceAMI }}"
    BaseAMIName         = "{{ .SourceAMIName }}"
  }
  snapshot_tags = {
    Name   = "${var.ami_name}-${local.variant}"
    Recipe = "image/runner-ami.pkr.hcl"
  }
}

build {
  sources = ["source.amazon-ebs.runner"]

  provisioner "shell" {
    script          = "${path.root}/provision.sh"
    execute_command = "chmod +x {{ .Path }}; sudo env {{ .Vars }} {{ .Path }}"
    environment_vars = [
      "ARCHITECTURE=${var.architecture}",
      "GPU=${var.gpu}",
      "NVIDIA_DRIVER=${var.nvidia_driver}",
      "GITLAB_RUNNER_VERSION=${var.gitlab_runner_version}",
      "GITLAB_RUNNER_SHA256=${var.gitlab_runner_sha256}",
    ]
  }
}
