import { defineConfig } from "@ger/core";

/**
 * Runner pools. Names follow GitLab's autoscaler settings where the meaning is the same.
 * Replace the subnets, AMIs and GitLab scope with your own before `sst deploy`; `npm start` runs
 * this file as it is against the local GitLab double and simulated EC2.
 */
export default defineConfig({
  deployment: "ci-autoscaler",
  gitlab_url: "https://gitlab.example.com",
  // The cap across every pool.
  max_instances: 20,
  pools: [
    {
      name: "linux-arm",
      tags: ["linux", "docker", "arm64"],
      run_untagged: true,
      runner: { runner_type: "instance_type", image: "alpine:3.20", maximum_timeout: "1h" },
      instance: {
        types: ["t4g.large", "m7g.large", "c7g.large"],
        subnets: ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
        ami: {
          ssm_parameter:
            "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id",
        },
        market: "spot-then-on-demand",
        disk_size_gb: 30,
      },
      max_instances: 10,
      idle_count: 0,
      idle_time: "5m",
      boot_timeout: "10m",
      // Keep two runners warm on weekdays in office hours; zero at night and at weekends.
      policy: [
        {
          periods: ["* 8-18 * * mon-fri"],
          timezone: "Europe/Berlin",
          idle_count: 2,
          idle_time: "20m",
        },
      ],
    },
    {
      name: "linux-x86",
      tags: ["linux", "docker", "amd64"],
      runner: { runner_type: "instance_type", image: "alpine:3.20" },
      instance: {
        types: ["m7i.large", "m6i.large", "m7a.large"],
        subnets: ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
        ami: {
          ssm_parameter:
            "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
        },
      },
      max_instances: 10,
    },
  ],
});
