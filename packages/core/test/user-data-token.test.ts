import { createHash } from "node:crypto";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { PoolConfig } from "@ger/core/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import {
  parseToml,
  type StoredParameter,
  sandbox,
  TEST_GITLAB_RUNNER_ID,
  TEST_INSTANCE_ARN_PREFIX,
  TEST_INSTANCE_ID,
  TEST_RUNNER_TOKEN,
  TEST_SECRET_KEY,
  TEST_SESSION_TOKEN,
  type UserDataRun,
} from "../../../test/support/user-data-sandbox";
import {
  parseAutoscalerConfig,
  RUNNER_SCRIPT_PATH,
  renderUserData,
  SsmTokenDrop,
  TOKEN_POLL_DELAYS_SECONDS,
  tokenParameterPrefix,
} from "../src/index";

const config = parseAutoscalerConfig(configInput());
const settings = {
  gitlabUrl: config.gitlab_url,
  tokenParameterPrefix: tokenParameterPrefix(config.deployment),
};
// An image name with every character bash or TOML would read as syntax.
const oddImage = "registry/it's:`id`$HOME\\\"x\x7f";
const dockerPool: PoolConfig = {
  ...config.pools[0]!,
  runner: { ...config.pools[0]!.runner, image: oddImage },
  cache: { bucket: "ci-cache-bucket", shared: true },
};
const shellPool: PoolConfig = {
  ...config.pools[1]!,
  runner: { ...config.pools[1]!.runner, executor: "shell" },
};
// Names the parameters as the scaler's adapter does, so the script and the adapter agree.
const drop = new SsmTokenDrop(new SSMClient({ region: "eu-central-1" }), {
  parameterPrefix: settings.tokenParameterPrefix,
  instanceArnPrefix: TEST_INSTANCE_ARN_PREFIX,
});
const OTHER_INSTANCE_ID = "i-0fedcba9876543210";
const ownToken = drop.instanceParameterName(TEST_INSTANCE_ID);
/** Parameter Store after the scaler granted this instance its token. */
const granted: Record<string, StoredParameter> = {
  [ownToken]: {
    value: TEST_RUNNER_TOKEN,
    reader: `${TEST_INSTANCE_ARN_PREFIX}${TEST_INSTANCE_ID}`,
  },
};

interface RunnerToml {
  runners: {
    name: string;
    token: string;
    feature_flags?: Record<string, boolean>;
    docker?: { image: string; volumes?: string[] };
  }[];
}

/**
 * Runs the pool's user-data once, in its own sandbox, for the tests of one describe block; it must
 * succeed unless `mayFail`.
 */
const runOnce = (
  pool: PoolConfig,
  parameters: Record<string, StoredParameter> = granted,
  mayFail = false,
) => {
  let box: Awaited<ReturnType<typeof sandbox>> | undefined;
  let result: UserDataRun | undefined;
  beforeAll(async () => {
    box = await sandbox({ parameters });
    result = await box.runUserData(renderUserData(pool, settings), RUNNER_SCRIPT_PATH);
    if (result.exitCode !== 0 && !mayFail)
      throw new Error(`the script failed:\n${result.stdout}${result.stderr}`);
  });
  afterAll(() => box?.remove());
  return () => {
    if (!result) throw new Error("the user-data did not run");
    return result;
  };
};

const ssmCalls = ({ calls }: UserDataRun) => calls.filter((call) => call.startsWith("ssm "));

describe("an instance takes the token granted to its own instance id", () => {
  const ran = runOnce(dockerPool);

  it("reads the parameter named by the instance id IMDS gives, then deletes it", () => {
    const run = ran();

    expect(ssmCalls(run)).toEqual([
      `ssm AmazonSSM.GetParameter ${ownToken}`,
      `ssm AmazonSSM.DeleteParameter ${ownToken}`,
    ]);
    expect(run.parameters).toEqual({});
  });
});

describe("an instance granted no token", () => {
  const othersToken = drop.instanceParameterName(OTHER_INSTANCE_ID);
  // Another instance's granted token, and a token still waiting under its runner's name.
  const parameters: Record<string, StoredParameter> = {
    [othersToken]: {
      value: "glrt-token-of-another-instance",
      reader: `${TEST_INSTANCE_ARN_PREFIX}${OTHER_INSTANCE_ID}`,
    },
    [drop.parameterName("linux-arm-a1b2c3")]: { value: "glrt-token-not-yet-granted" },
  };
  const ran = runOnce(dockerPool, parameters, true);

  it("asks only for its own, is refused, and starts no runner", () => {
    const run = ran();

    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain("no token granted to this instance");
    expect(new Set(ssmCalls(run))).toEqual(new Set([`ssm AmazonSSM.GetParameter ${ownToken}`]));
    expect(run.runnerArgs).toEqual([]);
    expect(run.parameters).toEqual(parameters);
    expect(`${run.stdout}${run.stderr}`).not.toContain("glrt-");
  });

  it("waits for a grant about five minutes, asking less and less often, then powers off", () => {
    const { calls } = ran();

    const sleeps = calls.filter((call) => call.startsWith("sleep "));
    expect(sleeps).toEqual(TOKEN_POLL_DELAYS_SECONDS.map((delay) => `sleep ${delay}`));
    expect(sleeps.slice(0, 4)).toEqual(["sleep 2", "sleep 4", "sleep 8", "sleep 15"]);
    expect(TOKEN_POLL_DELAYS_SECONDS.reduce((sum, delay) => sum + delay, 0)).toBe(329);
    expect(calls.at(-1)).toBe("systemctl poweroff");
  });
});

const secrets = [TEST_RUNNER_TOKEN, "glrt-", TEST_SECRET_KEY, TEST_SESSION_TOKEN];

describe.each([
  ["docker", dockerPool],
  ["shell", shellPool],
])("a %s pool's instance hands gitlab-runner its token", (_, pool) => {
  const ran = runOnce(pool);

  it("in no variable of its environment, which a shell job inherits", () => {
    const { runnerEnv } = ran();

    expect(runnerEnv).not.toHaveProperty("CI_SERVER_TOKEN");
    const environment = Object.entries(runnerEnv).map(([name, value]) => `${name}=${value}`);
    for (const secret of secrets) expect(environment.join("\n")).not.toContain(secret);
  });

  it("in none of its arguments, which every user sees in /proc/*/cmdline", () => {
    const { runnerArgs } = ran();

    expect(runnerArgs.slice(0, 1)).toEqual(["run-single"]);
    for (const secret of secrets) expect(runnerArgs.join(" ")).not.toContain(secret);
  });

  it("in a config file only root can read, in a directory only root can enter", async () => {
    const { config, runnerArgs } = ran();

    expect(config, "gitlab-runner was given no --config").toBeDefined();
    expect(config!.file).toEqual({ mode: "600", uid: 0, gid: 0 });
    expect(config!.dir).toEqual({ mode: "700", uid: 0, gid: 0 });
    const toml = (await parseToml(config!.text)) as unknown as RunnerToml;
    const picked = runnerArgs[runnerArgs.indexOf("--runner") + 1];
    expect(toml.runners.find((runner) => runner.name === picked)?.token).toBe(TEST_RUNNER_TOKEN);
  });

  it("and still runs one job at most, then powers off", () => {
    const { runnerArgs, calls } = ran();

    expect(runnerArgs.join(" ")).toContain("--max-builds 1 --wait-timeout 300");
    expect(calls.at(-1)).toBe("systemctl poweroff");
  });
});

describe("an instance of a pool that keeps its registrations", () => {
  const reusePool: PoolConfig = {
    ...dockerPool,
    runner: { ...dockerPool.runner, registrations: "reuse" },
  };
  const ran = runOnce(reusePool);
  const perJob = runOnce(dockerPool);

  it("gives gitlab-runner a system_id made from the GitLab runner's id: one manager per registration", () => {
    const expected = `s_${createHash("sha256").update(String(TEST_GITLAB_RUNNER_ID)).digest("hex").slice(0, 12)}`;

    expect(ran().systemId).toBe(expected);
    expect(perJob().systemId).toBeUndefined();
  });

  it("learns that id from GitLab with the token on curl's stdin, never in its arguments", () => {
    const { calls, gitlabCurlArgs } = ran();

    expect(calls).toContain(`gitlab POST /api/v4/runners/verify token=${TEST_RUNNER_TOKEN}`);
    expect(gitlabCurlArgs).toHaveLength(1);
    expect(gitlabCurlArgs.join(" ")).not.toContain(TEST_RUNNER_TOKEN);
    expect(perJob().gitlabCurlArgs).toEqual([]);
  });
});

describe("a shell pool's instance", () => {
  const ran = runOnce(shellPool);

  it("runs job scripts as gitlab-runner, a user without groups, off the job shell's PATH", async () => {
    const { runnerBash, root, startJobShell } = ran();
    expect(runnerBash.startsWith(root), `gitlab-runner would start ${runnerBash}`).toBe(true);

    const job = await startJobShell();

    expect(job.args).toEqual(["-u", "gitlab-runner", "--", "/bin/bash", "-l"]);
    expect(job.path.split(":")).not.toContain(runnerBash.slice(0, runnerBash.lastIndexOf("/")));
  });

  it("makes the job user without supplementary groups, and lets it write the builds", () => {
    const { calls } = ran();

    const useradd = calls.find((call) => call.startsWith("useradd "));
    expect(useradd).toMatch(/ gitlab-runner$/);
    expect(useradd).not.toMatch(/ (-G|--groups)\b/);
    expect(calls).toContain("usermod --groups  gitlab-runner");
    expect(calls.find((call) => call.startsWith("chown "))).toMatch(
      /^chown gitlab-runner: .*builds/,
    );
  });

  it("keeps job scripts out of gitlab-runner's own process, whatever the job's variables", async () => {
    const { config } = ran();

    const toml = (await parseToml(config?.text ?? "")) as unknown as RunnerToml;
    expect(toml.runners[0]?.feature_flags).toEqual({ FF_CONCRETE: false });
  });
});

describe("a docker pool's instance", () => {
  const ran = runOnce(dockerPool);

  it("mounts no host path, least of all the config directory, into job containers", async () => {
    const { config } = ran();

    const toml = (await parseToml(config?.text ?? "")) as unknown as RunnerToml;
    const volumes = toml.runners.flatMap((runner) => runner.docker?.volumes ?? []);
    expect(volumes.filter((volume) => volume.includes(":"))).toEqual([]);
  });

  it("writes the pool's settings into the config as they are, whatever characters they hold", async () => {
    const { config } = ran();

    const toml = (await parseToml(config?.text ?? "")) as unknown as RunnerToml;
    expect(toml.runners[0]?.docker?.image).toBe(oddImage);
  });
});
