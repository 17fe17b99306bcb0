import { defineConfig } from "@ger/core";
import { configInput } from "../support/config";

/**
 * The pools the deploy tests deploy: the tests' shared config, with what an operator replaces
 * (GitLab, subnets) set to values that are not the example's placeholders, and a cache bucket.
 */
const example = configInput();

export default defineConfig({
  ...example,
  gitlab_url: "https://gitlab.acme.internal",
  pools: example.pools.map((pool, index) => ({
    ...pool,
    instance: {
      ...pool.instance,
      subnets: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
    },
    ...(index === 0 && { cache: { bucket: "acme-ci-autoscaler-cache" } }),
  })),
});
