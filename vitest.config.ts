import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/setup/dynamodb-local.ts", "test/deploy/platform-setup.ts"],
    setupFiles: ["test/setup/quiet-output.ts"],
    // A green run prints the summary only: console output is shown for failing tests.
    silent: "passed-only",
    reporters: ["default", "./test/setup/summary-reporter.ts"],
    // DynamoDB Local answers slower than DynamoDB; generous but bounded.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    unstubEnvs: true,
  },
});
