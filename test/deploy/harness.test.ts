import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dataSourceResult } from "./aws-mocks";
import { DeployFailed, evaluateStages, MOCK_ACCOUNT, ROOT, recordDeployment } from "./harness";
import { buildNodeFunction } from "./node-runtime";
import { assertPinnedSst, PINNED_SST_VERSION } from "./sst-pin";

/* The harness fails where `sst deploy` fails, and refuses to run where it would prove nothing. */

const scratch = mkdtempSync(join(tmpdir(), "deploy-harness-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the deploy harness fails where sst deploy fails", () => {
  it("refuses the shipped autoscaler.config.ts before any resource, naming each placeholder", async () => {
    const failure = await recordDeployment({ stage: "production" }).then(
      (deployed) => deployed.dispose(),
      (error) => error,
    );

    expect(failure).toBeInstanceOf(DeployFailed);
    expect(failure.message).toContain("gitlab_url is https://gitlab.example.com");
    expect(failure.message).toContain("pools.0.instance.subnets.0 is subnet-0a1b2c3d4e5f60718");
    expect((failure as DeployFailed).declared.map(({ type }) => type)).toEqual([
      "pulumi:pulumi:Stack",
    ]);
  }, 120_000);

  it("fails a function whose handler file does not exist with the CLI's message", async () => {
    const input = {
      functionID: "Scaler",
      handler: "packages/functions/src/scaler/lamda.handler",
      runtime: "nodejs24.x",
    };

    await expect(
      buildNodeFunction(input, { root: ROOT, work: scratch, plugins: [] }),
    ).rejects.toThrow("Handler not found: packages/functions/src/scaler/lamda.handler");
  });

  it("refuses to bundle a function setting it does not build as SST does, by name", async () => {
    const input = {
      functionID: "Scaler",
      handler: "packages/functions/src/scaler/lambda.handler",
      runtime: "nodejs24.x",
      properties: { format: "esm", install: ["sharp"] },
    };

    await expect(
      buildNodeFunction(input, { root: ROOT, work: scratch, plugins: [] }),
    ).rejects.toThrow("does not build nodejs.install as SST does");
  });

  it("refuses a data source it does not mock, by its token", () => {
    expect(() =>
      dataSourceResult(MOCK_ACCOUNT, { token: "aws:ec2/getVpc:getVpc", inputs: {} }),
    ).toThrow("does not mock the data source aws:ec2/getVpc:getVpc");
  });

  it(`runs only against SST ${PINNED_SST_VERSION}, naming the release it found`, () => {
    const other = join(scratch, "other-release");
    mkdirSync(join(other, "node_modules/sst"), { recursive: true });
    mkdirSync(join(other, ".sst/platform"), { recursive: true });
    writeFileSync(join(other, "node_modules/sst/package.json"), '{"version":"4.18.0"}');
    writeFileSync(join(other, ".sst/platform/version"), "4.18.0");

    expect(() => assertPinnedSst(other)).toThrow(
      `mirrors SST ${PINNED_SST_VERSION}'s CLI, but node_modules/sst is 4.18.0`,
    );
    expect(() => assertPinnedSst(ROOT)).not.toThrow();
  });
});

describe("stages: which ones sst remove may delete", () => {
  it("dev, test and pr stages are disposable; every other is protected and retains its data", async () => {
    const stages = ["dev", "dev-alice", "test", "pr-42", "prod", "production", "alice", "develop"];
    const apps = await evaluateStages(stages);

    expect(
      Object.fromEntries(apps.map(({ stage, removal, protect }) => [stage, { removal, protect }])),
    ).toEqual({
      dev: { removal: "remove", protect: false },
      "dev-alice": { removal: "remove", protect: false },
      test: { removal: "remove", protect: false },
      "pr-42": { removal: "remove", protect: false },
      prod: { removal: "retain", protect: true },
      production: { removal: "retain", protect: true },
      alice: { removal: "retain", protect: true },
      develop: { removal: "retain", protect: true },
    });
  }, 120_000);

  it("REMOVE_PROTECTED_STAGE lifts the protection of the stage it names only, and keeps the data", async () => {
    const [prod, production] = await evaluateStages(["prod", "production"], {
      REMOVE_PROTECTED_STAGE: "prod",
    });

    expect(prod).toMatchObject({ removal: "retain", protect: false });
    expect(production).toMatchObject({ removal: "retain", protect: true });
  }, 120_000);
});
