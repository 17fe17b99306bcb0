import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { PoolConfig } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import {
  parseAutoscalerConfig,
  renderUserData,
  runnerScript,
  shellQuote,
  tokenParameterPrefix,
} from "../src/index";

const run = promisify(execFile);
const config = parseAutoscalerConfig(configInput());
const settings = {
  gitlabUrl: config.gitlab_url,
  tokenParameterPrefix: tokenParameterPrefix(config.deployment),
};

const variants: [string, PoolConfig][] = [
  [
    "docker with an S3 cache",
    {
      ...config.pools[0]!,
      cache: { bucket: "ci-cache-bucket", region: "eu-central-1", shared: true },
    },
  ],
  ["docker without cache", config.pools[1]!],
  [
    "shell executor",
    { ...config.pools[1]!, runner: { ...config.pools[1]!.runner, executor: "shell" } },
  ],
  [
    "shell executor and a cache in the instance's region",
    {
      ...config.pools[1]!,
      runner: { ...config.pools[1]!.runner, executor: "shell" },
      cache: { bucket: "ci-cache-bucket", shared: false },
    },
  ],
  [
    "registrations kept between jobs (a stable system_id)",
    { ...config.pools[0]!, runner: { ...config.pools[0]!.runner, registrations: "reuse" } },
  ],
  [
    "an image name with a quote",
    { ...config.pools[1]!, runner: { ...config.pools[1]!.runner, image: "registry/it's:1" } },
  ],
];

/** Runs a Debian-packaged validator; CI installs them (.ci/run). */
const validate = async (tool: string, args: string[]) => {
  try {
    return await run(tool, args);
  } catch (error) {
    const failure = error as { code?: string; stdout?: string; stderr?: string };
    if (failure.code === "ENOENT")
      throw new Error(
        `${tool} is not installed: apt-get install ${tool === "cloud-init" ? "cloud-init" : "shellcheck"}`,
      );
    throw new Error(`${tool} rejected the user-data:\n${failure.stdout}${failure.stderr}`);
  }
};

const tempFile = async (name: string, content: string) => {
  const path = join(await mkdtemp(join(tmpdir(), "user-data-")), name);
  await writeFile(path, content);
  return path;
};

describe.each(variants)("user-data for a pool with %s", (_, pool) => {
  it("is valid #cloud-config for cloud-init", async () => {
    const file = await tempFile("user-data.yaml", renderUserData(pool, settings));

    const { stdout } = await validate("cloud-init", ["schema", "--config-file", file]);

    expect(stdout).toContain("Valid cloud-config");
  });

  it("runs a script that shellcheck finds clean", async () => {
    const file = await tempFile("runner.sh", runnerScript(pool, settings));

    await validate("shellcheck", ["--shell=bash", "--severity=style", file]);
  });

  it("holds no secret, only where the instance fetches its token", () => {
    const userData = renderUserData(pool, settings);

    expect(userData).not.toMatch(/glrt-/);
    expect(userData).toContain("/gitlab-runner-autoscaler/ci-autoscaler/runners");
    expect(userData).toContain("AmazonSSM.$1");
  });

  it("looks its token up by its own instance id, not by a tag every instance of a launch shares", () => {
    const script = runnerScript(pool, settings);

    expect(script).toContain("INSTANCE_ID=$(metadata instance-id)");
    expect(script).toContain(
      `PARAMETER='/gitlab-runner-autoscaler/ci-autoscaler/runners/instance'/"$INSTANCE_ID"`,
    );
    expect(script).not.toContain("gitlab-runner-autoscaler:runner");
  });

  it("runs one job at most, waits idle_time at most, and always powers off", () => {
    const script = runnerScript(pool, settings);

    expect(script).toContain("gitlab-runner run-single");
    expect(script).toContain("--max-builds 1");
    expect(script).toContain('--wait-timeout "$WAIT_TIMEOUT"');
    expect(script).toMatch(/^trap 'systemctl poweroff' EXIT$/m);
    expect(script).toContain(`|| echo ${pool.idle_time})`);
  });
});

describe("shellQuote", () => {
  it.each([
    ["alpine:3.20", "'alpine:3.20'"],
    ["it's", `'it'"'"'s'`],
    ["$(reboot)", "'$(reboot)'"],
  ])("quotes %s", (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });
});
