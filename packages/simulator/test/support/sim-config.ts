import { parseAutoscalerConfig } from "@ger/core";
import type { AutoscalerConfig } from "@ger/core/types";

/** A pool of m7g.large spot runners in one subnet, that runs untagged jobs: what tests vary. */
export const simPool = (settings: Record<string, unknown> = {}) => ({
  name: "arm",
  run_untagged: true,
  runner: { runner_type: "instance_type" },
  instance: {
    types: ["m7g.large"],
    subnets: ["subnet-0a1b2c3d4e5f60718"],
    ami: { id: "ami-0123456789abcdef0" },
    market: "spot",
  },
  max_instances: 50,
  ...settings,
});

/** A deployment of these pools, validated by the config schema. */
export const simConfig = (
  pools: readonly ReturnType<typeof simPool>[],
  maxInstances = 50,
): AutoscalerConfig =>
  parseAutoscalerConfig({
    deployment: "sim-test",
    gitlab_url: "https://gitlab.example.com",
    max_instances: maxInstances,
    pools,
  });
