import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { PoolConfig } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { configInput, everyDockerSetting } from "../../../test/support/config";
import { writtenFiles } from "../../../test/support/user-data-sandbox";
import {
  LOG_SHIPPER_PATH,
  parseAutoscalerConfig,
  RUNNER_SCRIPT_PATH,
  renderUserData,
  runnerScript,
  runnerScriptSettings,
  shellQuote,
  tokenParameterPrefix,
  userDataFiles,
} from "../src/index";
import type { RunnerScriptSettings } from "../src/user-data/runner-script";

const run = promisify(execFile);
const config = parseAutoscalerConfig(configInput());
const plainSettings: RunnerScriptSettings = {
  gitlabUrl: config.gitlab_url,
  tokenParameterPrefix: tokenParameterPrefix(config.deployment),
};

const KEY_ARN = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
/** Every operator setting on: logs, CAs, hooks, mirror, ECR, GPUs, job scripts, storage, key. */
const everything = parseAutoscalerConfig({
  ...configInput(),
  runner_logs: { retention_days: 14 },
  ca_certificates: [{ ssm_parameter: "/corp/ca/root.pem" }, { s3: "s3://corp-pki/ca/sub ca.pem" }],
  kms_key_arn: KEY_ARN,
});
const everythingPool: PoolConfig = {
  ...everything.pools[0]!,
  runner: {
    ...everything.pools[0]!.runner,
    pre_get_sources_script:
      'git config --global url."https://mirror/".insteadOf "https://github.com/"',
    pre_build_script: "echo \"start $CI_JOB_ID\"\nexport FOO='b\\ar'",
    post_build_script: "echo `done` $HOME",
    docker: everyDockerSetting,
  },
  instance: {
    ...everything.pools[0]!.instance,
    disk_iops: 6000,
    pre_install: "apt-get install -y jq\nif true; then\n\techo tabbed\nfi",
    post_install: "  echo 'indented first line'\ndocker info >/dev/null",
  },
};

const variants: [string, PoolConfig, RunnerScriptSettings?][] = [
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
  ["every operator setting on", everythingPool, runnerScriptSettings(everything)],
  [
    "shell executor with logs, CAs and hooks",
    {
      ...everythingPool,
      runner: {
        ...everythingPool.runner,
        executor: "shell",
        docker: { ecr_credential_helper: false },
      },
    },
    runnerScriptSettings(everything),
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

describe.each(variants)("user-data for a pool with %s", (_, pool, settings = plainSettings) => {
  it("is valid #cloud-config for cloud-init", async () => {
    const file = await tempFile("user-data.yaml", renderUserData(pool, settings));

    const { stdout } = await validate("cloud-init", ["schema", "--config-file", file]);

    expect(stdout).toContain("Valid cloud-config");
  });

  it("writes programs that shellcheck finds clean, the pool's hooks included", async () => {
    const files = userDataFiles(pool, settings);

    for (const { path, content } of files)
      await validate("shellcheck", [
        "--shell=bash",
        "--severity=style",
        await tempFile(path.split("/").pop() ?? "script", content),
      ]);
    expect(files.map(({ path }) => path)).toEqual([
      RUNNER_SCRIPT_PATH,
      ...(settings.logGroup ? [LOG_SHIPPER_PATH] : []),
      ...(pool.instance.pre_install ? ["/usr/local/lib/ephemeral-runner/pre-install"] : []),
      ...(pool.instance.post_install ? ["/usr/local/lib/ephemeral-runner/post-install"] : []),
    ]);
  });

  it("writes each program as cloud-init reads it back, byte for byte", async () => {
    expect(await writtenFiles(renderUserData(pool, settings))).toEqual(
      userDataFiles(pool, settings),
    );
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
    expect(script).toMatch(/^trap finish EXIT$/m);
    expect(script).toMatch(/^finish\(\) \{\n(.*\n)*? {2}systemctl poweroff\n\}$/m);
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
