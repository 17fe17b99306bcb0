import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { PoolConfig } from "@ger/core/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configInput, everyDockerSetting } from "../../../test/support/config";
import {
  parseToml,
  type StoredParameter,
  sandbox,
  TEST_INSTANCE_ARN_PREFIX,
  TEST_INSTANCE_ID,
  TEST_RUNNER_TOKEN,
  type UserDataRun,
} from "../../../test/support/user-data-sandbox";
import {
  LOG_SHIPPER_PATH,
  parseAutoscalerConfig,
  RUNNER_SCRIPT_PATH,
  renderUserData,
  runnerLogGroupName,
  runnerScriptSettings,
  SsmTokenDrop,
} from "../src/index";

const ROOT_CA = "-----BEGIN CERTIFICATE-----\nMIIBroot\n-----END CERTIFICATE-----\n";
const SUB_CA = "-----BEGIN CERTIFICATE-----\nMIIBsub\n-----END CERTIFICATE-----\n";
const config = parseAutoscalerConfig({
  ...configInput(),
  ca_certificates: [{ ssm_parameter: "/corp/ca/root.pem" }, { s3: "s3://corp-pki/ca/sub.pem" }],
});
const settings = runnerScriptSettings(config);
const base = config.pools[0]!;
/** A docker pool with every instance-side operator setting on. */
const pool: PoolConfig = {
  ...base,
  runner: {
    ...base.runner,
    pre_get_sources_script: "git config --global http.sslVerify true",
    pre_build_script: 'echo "build $CI_JOB_ID"',
    post_build_script: "echo `date`",
    docker: everyDockerSetting,
  },
  instance: {
    ...base.instance,
    pre_install: 'apt-get install -y jq\nenv >"$RUNNER_ROOT/pre-install.env"',
    post_install: "docker info",
  },
};

const drop = new SsmTokenDrop(new SSMClient({ region: "eu-central-1" }), {
  parameterPrefix: settings.tokenParameterPrefix,
  instanceArnPrefix: TEST_INSTANCE_ARN_PREFIX,
});
const granted: Record<string, StoredParameter> = {
  [drop.instanceParameterName(TEST_INSTANCE_ID)]: {
    value: TEST_RUNNER_TOKEN,
    reader: `${TEST_INSTANCE_ARN_PREFIX}${TEST_INSTANCE_ID}`,
  },
  "/corp/ca/root.pem": { value: ROOT_CA, readable: true },
};
const s3Objects = { "corp-pki.s3.eu-central-1.amazonaws.com/ca/sub.pem": SUB_CA };
const journal = [
  {
    __CURSOR: "s=1;i=1",
    __REALTIME_TIMESTAMP: "4102444800000000",
    MESSAGE: "Runtime platform arch=arm64",
  },
  { __CURSOR: "s=1;i=2", __REALTIME_TIMESTAMP: "4102444801000000", MESSAGE: "Job succeeded" },
];

/** Runs the pool's user-data once in a sandbox with `options`, for one describe block. */
const runOnce = (
  runPool: PoolConfig,
  options: Omit<Parameters<typeof sandbox>[0], "parameters"> & {
    parameters?: Record<string, StoredParameter>;
  } = {},
) => {
  let box: Awaited<ReturnType<typeof sandbox>> | undefined;
  let result: UserDataRun | undefined;
  beforeAll(async () => {
    box = await sandbox({ parameters: granted, s3Objects, journal, ...options });
    result = await box.runUserData(renderUserData(runPool, settings), RUNNER_SCRIPT_PATH);
  });
  afterAll(() => box?.remove());
  return () => {
    if (!result) throw new Error("the user-data did not run");
    return result;
  };
};

const file = (run: UserDataRun, path: string) => readFile(join(run.root, path), "utf8");

describe("an instance of a pool with every operator setting on", () => {
  const ran = runOnce(pool, {
    blockDevices:
      "/dev/nvme0n1 Amazon Elastic Block Store\n/dev/nvme1n1 Amazon EC2 NVMe Instance Storage\n",
    files: {
      "/etc/docker/daemon.json": '{"runtimes":{"nvidia":{"path":"nvidia-container-runtime"}}}',
    },
  });

  it("boots and runs its job", () => {
    expect(ran().exitCode, ran().stderr).toBe(0);
    expect(ran().calls.at(-1)).toBe("systemctl poweroff");
  });

  it("runs pre_install before anything is installed, post_install after Docker, neither with the token", async () => {
    const { calls } = ran();
    const at = (call: string) => calls.map((made) => made.trim()).indexOf(call);

    expect(at("apt-get install -y jq")).toBeGreaterThanOrEqual(0);
    expect(at("apt-get install -y jq")).toBeLessThan(at("update-ca-certificates"));
    expect(at("systemctl restart docker")).toBeLessThan(at("docker info"));
    const hookEnv = await file(ran(), "/pre-install.env");
    expect(hookEnv).toContain("RUNNER_ROOT=");
    expect(hookEnv).not.toContain(TEST_RUNNER_TOKEN);
  });

  it("trusts the deployment's CAs from SSM and S3, in the system store and in gitlab-runner", async () => {
    const { calls, config: runnerConfig } = ran();
    const caDir = "/usr/local/share/ca-certificates/ephemeral-runner";

    expect(calls).toContain("ssm AmazonSSM.GetParameter /corp/ca/root.pem");
    expect(calls).toContain("s3 GET corp-pki.s3.eu-central-1.amazonaws.com/ca/sub.pem");
    // The SSM parameter's value as Python prints it: a newline more, which PEM allows.
    expect(await file(ran(), `${caDir}/0.crt`)).toBe(`${ROOT_CA}\n`);
    expect(await file(ran(), `${caDir}/1.crt`)).toBe(SUB_CA);
    const toml = (await parseToml(runnerConfig!.text)) as {
      runners: Record<string, unknown>[];
    };
    const caFile = String(toml.runners[0]?.["tls-ca-file"]);
    expect(caFile).toBe(join(ran().root, "/etc/gitlab-runner-ephemeral/ca.crt"));
    expect(await readFile(caFile, "utf8")).toBe(`${ROOT_CA}\n${SUB_CA}`);
    // The daemon learns the new CAs by a restart.
    expect(calls).toContain("systemctl restart docker");
  });

  it("gives Docker the registry mirror and the instance store, keeping the AMI's runtimes", async () => {
    const daemon = JSON.parse(await file(ran(), "/etc/docker/daemon.json"));

    expect(daemon).toEqual({
      runtimes: { nvidia: { path: "nvidia-container-runtime" } },
      "registry-mirrors": ["https://mirror.example.com"],
      "data-root": "/mnt/instance-store/docker",
    });
    expect(ran().calls).toContain("mkfs.ext4 -F -q -E nodiscard /dev/nvme1n1");
    expect(ran().calls).toContain(`mount -o noatime /dev/nvme1n1 ${ran().root}/mnt/instance-store`);
  });

  it("pulls ECR images with the instance role through root's Docker config", async () => {
    expect(JSON.parse(await file(ran(), "/root/.docker/config.json"))).toEqual({
      credsStore: "ecr-login",
    });
    // The sandbox has dnf: an Amazon Linux AMI, whose package has the same name.
    expect(ran().calls).toContain("dnf install -y amazon-ecr-credential-helper");
  });

  it("hands gitlab-runner the job scripts, the helper image and the GPUs as written", async () => {
    const toml = (await parseToml(ran().config!.text)) as {
      runners: (Record<string, unknown> & { docker: Record<string, unknown> })[];
    };

    expect(toml.runners[0]).toMatchObject({
      pre_get_sources_script: "git config --global http.sslVerify true",
      pre_build_script: 'echo "build $CI_JOB_ID"',
      post_build_script: "echo `date`",
      docker: {
        helper_image: "mirror.example.com/gitlab-runner-helper:arm64-latest",
        gpus: "all",
      },
    });
    // The AMI of this sandbox has no NVIDIA driver: the boot says so.
    expect(ran().stderr).toContain("the AMI has no NVIDIA driver");
  });

  it("ships the runner's journal and cloud-init's output to its own stream once done", () => {
    const { logCalls } = ran();
    const group = runnerLogGroupName(config.deployment);

    expect(logCalls[0]).toEqual({
      target: "Logs_20140328.CreateLogStream",
      body: { logGroupName: group, logStreamName: TEST_INSTANCE_ID },
    });
    const puts = logCalls.filter((call) => call.target === "Logs_20140328.PutLogEvents");
    expect(puts).toHaveLength(1);
    expect(puts[0]!.body).toEqual({
      logGroupName: group,
      logStreamName: TEST_INSTANCE_ID,
      logEvents: [
        { timestamp: 4102444800000, message: "runner: Runtime platform arch=arm64" },
        { timestamp: 4102444801000, message: "runner: Job succeeded" },
      ],
    });
  });
});

describe("an instance whose boot fails", () => {
  const ran = runOnce(pool, { parameters: {}, journal: [] });

  it("says why in its logs, ships them and powers off", () => {
    const { exitCode, logCalls, calls, stderr } = ran();

    expect(exitCode).not.toBe(0);
    expect(stderr).toContain("no token granted to this instance");
    expect(stderr).toContain("ephemeral-runner failed with status 1");
    expect(logCalls.map((call) => call.target)).toEqual([
      "Logs_20140328.CreateLogStream",
      // The sandbox's journal is empty: nothing new to put.
    ]);
    expect(calls.at(-1)).toBe("systemctl poweroff");
  });
});

describe("a pool with none of the operator settings", () => {
  const plain = parseAutoscalerConfig({
    ...configInput(),
    runner_logs: { enabled: false },
  });
  const ran = (() => {
    let box: Awaited<ReturnType<typeof sandbox>> | undefined;
    let result: UserDataRun | undefined;
    beforeAll(async () => {
      box = await sandbox({ parameters: granted });
      result = await box.runUserData(
        renderUserData(
          {
            ...plain.pools[0]!,
            instance: { ...plain.pools[0]!.instance, docker_on_instance_store: false },
          },
          runnerScriptSettings(plain),
        ),
        RUNNER_SCRIPT_PATH,
      );
    });
    afterAll(() => box?.remove());
    return () => result as UserDataRun;
  })();

  it("starts the AMI's Docker as it is, trusts no extra CA and ships no logs", () => {
    const { calls, logCalls, exitCode } = ran();

    expect(exitCode).toBe(0);
    expect(calls).toContain("systemctl start docker");
    expect(calls.map((call) => call.trim())).not.toContain("update-ca-certificates");
    expect(calls.filter((call) => call.startsWith("mkfs"))).toEqual([]);
    expect(logCalls).toEqual([]);
  });
});

describe("the log shipper, run again while the instance lives", () => {
  let box: Awaited<ReturnType<typeof sandbox>> | undefined;
  afterAll(() => box?.remove());
  const later = (n: number) => ({
    __CURSOR: `s=1;i=${n}`,
    __REALTIME_TIMESTAMP: `${4102444800 + n}000000`,
    MESSAGE: `line ${n}`,
  });
  const puts = async () =>
    (await box!.logCalls())
      .filter((call) => call.target === "Logs_20140328.PutLogEvents")
      .map((call) => (call.body.logEvents as { message: string }[]).map((event) => event.message));

  it("sends only what is new, and again what a refused call did not deliver", async () => {
    box = await sandbox({ parameters: granted, s3Objects, journal });
    await box.runUserData(renderUserData(pool, settings), RUNNER_SCRIPT_PATH);

    const shipped = await box.runWritten(LOG_SHIPPER_PATH, [later(3)]);
    await box.refuseLogs(true);
    const refused = await box.runWritten(LOG_SHIPPER_PATH, [later(4)]);
    await box.refuseLogs(false);
    const retried = await box.runWritten(LOG_SHIPPER_PATH);

    expect([shipped, retried]).toEqual([0, 0]);
    expect(refused).not.toBe(0);
    expect(await puts()).toEqual([
      ["runner: Runtime platform arch=arm64", "runner: Job succeeded"],
      ["runner: line 3"],
      ["runner: line 4"],
    ]);
    // The stream was made once.
    expect(
      (await box.logCalls()).filter((call) => call.target === "Logs_20140328.CreateLogStream"),
    ).toHaveLength(1);
  });
});
