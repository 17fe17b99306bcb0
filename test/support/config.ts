import type { AutoscalerConfigInput } from "@ger/core/types";

/**
 * A valid config in the shape users write it; tests change one thing at a time. Its runners are
 * created per job, so that a test follows one GitLab runner from creation to deletion; the tests
 * of registrations kept between jobs (`reuse`, the default) set that themselves.
 */
export const configInput = (): AutoscalerConfigInput => ({
  deployment: "ci-autoscaler",
  gitlab_url: "https://gitlab.example.com",
  max_instances: 20,
  pools: [
    {
      name: "linux-arm",
      tags: ["linux", "docker", "arm64"],
      run_untagged: true,
      runner: {
        runner_type: "group_type",
        group_id: 42,
        image: "alpine:3.20",
        maximum_timeout: "1h",
        registrations: "per_job",
      },
      instance: {
        types: ["t4g.large", "m7g.large"],
        subnets: ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
        ami: {
          ssm_parameter:
            "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id",
        },
      },
      max_instances: 10,
      idle_count: 0,
      idle_time: "5m",
      policy: [
        {
          periods: ["* 8-17 * * mon-fri"],
          timezone: "Europe/Berlin",
          idle_count: 2,
          idle_time: "20m",
        },
        { periods: ["* 12 * * mon-fri"], timezone: "Europe/Berlin", idle_count: 4 },
      ],
    },
    {
      name: "gpu",
      tags: ["gpu"],
      runner: { runner_type: "project_type", project_id: 7, registrations: "per_job" },
      instance: {
        types: ["g5.xlarge"],
        subnets: ["subnet-0a1b2c3d4e5f60718"],
        ami: { id: "ami-0123456789abcdef0" },
        market: "on-demand",
      },
      max_instances: 2,
    },
  ],
});

/** `runner.docker` with every setting on: a registry mirror, its helper image, ECR, GPUs. */
export const everyDockerSetting = {
  registry_mirror: "https://mirror.example.com",
  helper_image: "mirror.example.com/gitlab-runner-helper:arm64-latest",
  ecr_credential_helper: true,
  gpus: "all",
};
