import { defineConfig } from "@ger/core";
import { everyDockerSetting } from "../support/config";
import deployConfig from "./deploy.config";

/**
 * The deploy tests' pools with every operator setting on: cost tags, the runner logs under the
 * customer's KMS key, extra CAs from SSM and S3, a permissions boundary and a role path, and the
 * ECR credential helper on the first pool (test/deploy/operator-settings.test.ts).
 */
export default defineConfig({
  ...deployConfig,
  tags: { CostCenter: "ci-4711", Team: "platform" },
  runner_logs: { enabled: true, retention_days: 90 },
  ca_certificates: [
    { ssm_parameter: "/acme/ca/root.pem" },
    { s3: "s3://acme-pki-eu-central-1/ca/intermediate.pem" },
  ],
  kms_key_arn: "arn:aws:kms:eu-central-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
  role_permissions_boundary: "arn:aws:iam::123456789012:policy/ci-boundary",
  role_path: "/ci/runners/",
  pools: deployConfig.pools.map((pool, index) => ({
    ...pool,
    ...(index === 0 && {
      runner: { ...pool.runner, docker: everyDockerSetting },
      instance: {
        ...pool.instance,
        tags: { Project: "arm-builds" },
        disk_type: "gp3" as const,
        disk_iops: 6000,
        disk_throughput: 500,
      },
    }),
  })),
});
