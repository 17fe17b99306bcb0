import { execFile } from "node:child_process";
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const TEST_RUNNER_TOKEN = "glrt-secret-token-for-test";
/** The GitLab runner the test token belongs to, as POST /runners/verify answers. */
export const TEST_GITLAB_RUNNER_ID = 4242;
export const TEST_SECRET_KEY = "secret-access-key-for-test";
export const TEST_SESSION_TOKEN = "session-token-for-test";

const credentials = JSON.stringify({
  AccessKeyId: "ASIATESTACCESSKEY",
  SecretAccessKey: TEST_SECRET_KEY,
  Token: TEST_SESSION_TOKEN,
});

/** The instance the sandbox plays, as IMDS names it and as IAM's ec2:SourceInstanceARN does. */
export const TEST_INSTANCE_ID = "i-0123456789abcdef0";
export const TEST_INSTANCE_ARN_PREFIX = "arn:aws:ec2:eu-central-1:123456789012:instance/";

/** A parameter in the fake Parameter Store, with its reader tag (an instance ARN) if it has one. */
export interface StoredParameter {
  readonly value: string;
  readonly reader?: string;
  /** The runner role may read it by a statement of its own (a CA certificate). */
  readonly readable?: boolean;
}

// Parameter Store behind the runner role's IAM: a parameter is read or deleted only when its reader
// tag is this instance's ARN; anything else (missing, untagged, another's) is a 400, as curl -f
// reports it. Arguments: store file, call log, target, request body.
const fakeSsm = `import json, sys
store, log, target, request = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
name = request.get("Name")
with open(log, "a") as calls:
    print("ssm", target, name, file=calls)
with open(store) as f:
    parameters = json.load(f)
parameter = parameters.get(name)
own = parameter and parameter.get("reader") == "${TEST_INSTANCE_ARN_PREFIX}${TEST_INSTANCE_ID}"
if not own and not (parameter and parameter.get("readable") and target == "AmazonSSM.GetParameter"):
    sys.exit(22)
if target == "AmazonSSM.GetParameter":
    print(json.dumps({"Parameter": {"Name": name, "Value": parameter["value"]}}))
elif target == "AmazonSSM.DeleteParameter":
    del parameters[name]
    with open(store, "w") as f:
        json.dump(parameters, f)
    print("{}")
else:
    sys.exit(22)
`;

// Answers the script's IMDS and SSM calls; anything else (a download) fails the run.
const curl = (dir: string) => `#!/bin/bash
url='' target='' data=''
while (($#)); do
  case $1 in
    --data) data=$2; shift ;;
    http*) url=$1 ;;
    "X-Amz-Target: "*) target=\${1#X-Amz-Target: } ;;
  esac
  shift
done
case $url in
  */latest/api/token) echo imds-token-for-test ;;
  */placement/region) echo eu-central-1 ;;
  */meta-data/instance-id) echo ${TEST_INSTANCE_ID} ;;
  */tags/instance/gitlab-runner-autoscaler:wait-timeout) echo 300 ;;
  */iam/security-credentials/) echo runner-role ;;
  */iam/security-credentials/runner-role) echo '${credentials}' ;;
  https://ssm.*) exec python3 "${dir}/fake-ssm.py" "${dir}/ssm-parameters.json" "${dir}/record/calls.log" "$target" "$data" ;;
  # CloudWatch Logs: every call kept with its body, a file's when the body is @file.
  https://logs.*)
    [[ -e ${dir}/logs-refused ]] && exit 22
    [[ $data == @* ]] && data=$(cat "\${data#@}")
    printf 'logs %s\n' "$target" >>${dir}/record/calls.log
    printf '%s\t%s\n' "$target" "$data" >>${dir}/record/logs.tsv
    echo '{}' ;;
  # S3 GetObject of the objects the test put there; anything else is a 403.
  https://*.s3.*.amazonaws.com/*)
    object=\${url#https://}
    printf 's3 GET %s\n' "$object" >>${dir}/record/calls.log
    [[ -f "${dir}/s3/$object" ]] || exit 22
    cat "${dir}/s3/$object" ;;
  # GitLab's POST /runners/verify: the runner's id, for the holder of its current token only.
  */api/v4/runners/verify)
    [[ $data == @- ]] && data=$(cat)
    printf 'curl %s\n' "$*" >>${dir}/record/curl-args.log
    printf 'gitlab POST /api/v4/runners/verify %s\n' "$data" >>${dir}/record/calls.log
    [[ $data == "token=${TEST_RUNNER_TOKEN}" ]] || exit 22
    echo '{"id":${TEST_GITLAB_RUNNER_ID},"token":"${TEST_RUNNER_TOKEN}"}' ;;
  *) echo "unexpected curl $*" >&2; exit 22 ;;
esac
`;

// What gitlab-runner was given: environment, arguments, the config file and its directory as
// they were when it started, and the bash its shell executor would run job scripts with.
const gitlabRunner = (record: string) => `#!/bin/bash
env -0 >${record}/runner.env
printf '%s\\0' "$@" >${record}/runner.args
while (($#)); do
  case $1 in -c | --config) config=$2; shift ;; esac
  shift
done
if [[ -n \${config:-} ]]; then
  cp "$config" ${record}/runner-config.toml
  if [[ -f "\${config%/*}/.runner_system_id" ]]; then cp "\${config%/*}/.runner_system_id" ${record}/runner-system-id; fi
  stat -c '%a %u %g' "$config" "\${config%/*}" >${record}/runner-config.stat
fi
command -v bash >${record}/runner-bash
`;

const logCall = (record: string, exitCode = 0) => `#!/bin/bash
printf '%s\\n' "\${0##*/} $*" >>${record}/calls.log
exit ${exitCode}
`;

// The job shell's switch to the job user: its arguments and the PATH the job would get.
const runuser = (record: string) => `#!/bin/bash
printf '%s\\0' "$@" >${record}/runuser.args
printf '%s' "$PATH" >${record}/runuser.path
`;

// The block devices the instance has, as lsblk -dnpo NAME,MODEL prints them (the test's file).
const lsblk = (dir: string) => `#!/bin/bash
cat ${dir}/block-devices.txt 2>/dev/null || true
`;

// The runner unit's journal, as journalctl -o json prints it: the entries after --after-cursor.
const journalctl = (dir: string) => `#!/bin/bash
cursor=
while (($#)); do
  case $1 in --after-cursor) cursor=$2; shift ;; esac
  shift
done
[[ -f ${dir}/journal.jsonl ]] || exit 0
if [[ -z $cursor ]]; then cat ${dir}/journal.jsonl; exit 0; fi
awk -v cursor="$cursor" 'seen { print } index($0, "\\"__CURSOR\\":\\"" cursor "\\"") { seen = 1 }' ${dir}/journal.jsonl
`;

const standIns = (dir: string, record: string): Record<string, string> => ({
  curl: curl(dir),
  lsblk: lsblk(dir),
  journalctl: journalctl(dir),
  "gitlab-runner": gitlabRunner(record),
  runuser: runuser(record),
  // The job user does not exist here, and the tests must not create one.
  id: logCall(record, 1),
  ...Object.fromEntries(
    [
      "systemctl",
      "useradd",
      "usermod",
      "chown",
      "docker",
      "apt-get",
      "dnf",
      "sleep",
      "mkfs.ext4",
      "mount",
      "update-ca-certificates",
    ].map((name) => [name, logCall(record)]),
  ),
});

const splitNul = (text: string) => text.split("\0").filter((part) => part !== "");

const optional = (path: string) => readFile(path, "utf8").catch(() => undefined);

export interface FileState {
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
}

const fileState = (line: string | undefined): FileState | undefined => {
  const [mode, uid, gid] = (line ?? "").split(" ");
  return mode ? { mode, uid: Number(uid), gid: Number(gid) } : undefined;
};

export interface UserDataRun {
  /** The throwaway directory the script took for / (RUNNER_ROOT). */
  readonly root: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** gitlab-runner's environment, as a shell job inherits it. */
  readonly runnerEnv: Record<string, string>;
  readonly runnerArgs: string[];
  /** The file after --config, as gitlab-runner found it. */
  readonly config?: { readonly text: string; readonly file?: FileState; readonly dir?: FileState };
  /** The bash gitlab-runner's shell executor would start job scripts with. */
  readonly runnerBash: string;
  /** The system_id gitlab-runner found beside its config (`.runner_system_id`), if any. */
  readonly systemId?: string;
  /** The arguments of every curl call to GitLab. */
  readonly gitlabCurlArgs: string[];
  /**
   * Every stand-in call of systemctl, useradd, usermod, chown, docker, sleep, … with its
   * arguments, and every SSM call as `ssm <target> <parameter name>`.
   */
  readonly calls: string[];
  /** Every CloudWatch Logs call: its X-Amz-Target and JSON body. */
  readonly logCalls: { target: string; body: Record<string, unknown> }[];
  /** The fake Parameter Store after the run. */
  readonly parameters: Record<string, StoredParameter>;
  /** Runs a job script the way the shell executor does: runnerBash -l, in gitlab-runner's env. */
  readonly startJobShell: () => Promise<{ args: string[]; path: string }>;
}

/** The files a #cloud-config writes, read by a YAML parser as cloud-init would. */
export const writtenFiles = async (
  userData: string,
): Promise<{ path: string; content: string }[]> => {
  const child = run("python3", [
    "-c",
    "import json, sys, yaml; files = yaml.safe_load(sys.stdin)['write_files']; " +
      "print(json.dumps([{'path': f['path'], 'content': f['content']} for f in files]))",
  ]);
  child.child.stdin?.end(userData);
  return JSON.parse((await child).stdout);
};

/**
 * Runs the script that user-data installs at `scriptPath` with bash, as root, in a scratch
 * directory, as instance TEST_INSTANCE_ID: stand-ins on PATH answer for AWS (Parameter Store
 * holding `parameters`), gitlab-runner and the system commands, and record what they were given.
 * `remove()` deletes the directory.
 */
export const sandbox = async ({
  parameters,
  s3Objects = {},
  blockDevices = "",
  journal = [],
  files = {},
}: {
  readonly parameters: Record<string, StoredParameter>;
  /** S3 objects the runner role may read, by `bucket.s3.<region>.amazonaws.com/key`. */
  readonly s3Objects?: Record<string, string>;
  /** What lsblk -dnpo NAME,MODEL prints. */
  readonly blockDevices?: string;
  /** The runner unit's journal entries (journalctl -o json), each with __CURSOR. */
  readonly journal?: readonly Record<string, string>[];
  /** Files the AMI has, by path below RUNNER_ROOT. */
  readonly files?: Record<string, string>;
}) => {
  const dir = await mkdtemp(join(tmpdir(), "user-data-sandbox-"));
  const [bin, root, record] = ["bin", "root", "record"].map((name) => join(dir, name)) as [
    string,
    string,
    string,
  ];
  await Promise.all([bin, root, record].map((path) => mkdir(path)));
  for (const [name, content] of Object.entries(standIns(dir, record))) {
    await writeFile(join(bin, name), content);
    await chmod(join(bin, name), 0o755);
  }
  for (const [object, content] of Object.entries(s3Objects)) {
    await mkdir(dirname(join(dir, "s3", object)), { recursive: true });
    await writeFile(join(dir, "s3", object), content);
  }
  await writeFile(join(dir, "block-devices.txt"), blockDevices);
  await writeFile(
    join(dir, "journal.jsonl"),
    journal.map((entry) => `${JSON.stringify(entry)}\n`).join(""),
  );
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  const store = join(dir, "ssm-parameters.json");
  await writeFile(join(dir, "fake-ssm.py"), fakeSsm);
  await writeFile(store, JSON.stringify(parameters));

  const runUserData = async (userData: string, scriptPath: string): Promise<UserDataRun> => {
    // Every program the user-data writes, where it writes it (below RUNNER_ROOT); the one at
    // scriptPath is run.
    for (const { path, content } of await writtenFiles(userData)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content, { mode: 0o750 });
    }
    const script = join(root, scriptPath);
    const env = { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, RUNNER_ROOT: root };
    const { exitCode, stdout, stderr } = await run("bash", [script], {
      cwd: dir,
      env,
      timeout: 20_000,
      killSignal: "SIGKILL",
    }).then(
      (output) => ({ exitCode: 0, ...output }),
      (error: { code?: unknown; stdout: string; stderr: string }) => {
        if (typeof error.code !== "number")
          throw new Error(`the script did not finish:\n${error.stdout}${error.stderr}`);
        return { exitCode: error.code, stdout: error.stdout, stderr: error.stderr };
      },
    );
    const recorded = (name: string) => optional(join(record, name));
    const runnerEnv = Object.fromEntries(
      splitNul((await recorded("runner.env")) ?? "").map((line) => {
        const at = line.indexOf("=");
        return [line.slice(0, at), line.slice(at + 1)];
      }),
    );
    const configText = await recorded("runner-config.toml");
    const [file, configDir] = ((await recorded("runner-config.stat")) ?? "").split("\n");
    const runnerBash = ((await recorded("runner-bash")) ?? "").trim();
    const systemId = await recorded("runner-system-id");
    return {
      root,
      exitCode,
      stdout,
      stderr,
      runnerEnv,
      runnerArgs: splitNul((await recorded("runner.args")) ?? ""),
      ...(configText !== undefined && {
        config: { text: configText, file: fileState(file), dir: fileState(configDir) },
      }),
      runnerBash,
      ...(systemId !== undefined && { systemId: systemId.trim() }),
      gitlabCurlArgs: ((await recorded("curl-args.log")) ?? "").split("\n").filter(Boolean),
      calls: ((await recorded("calls.log")) ?? "").split("\n").filter(Boolean),
      logCalls: await logCalls(),
      parameters: JSON.parse(await readFile(store, "utf8")),
      startJobShell: async () => {
        await run(runnerBash, ["-l"], { env: runnerEnv, timeout: 10_000, killSignal: "SIGKILL" });
        return {
          args: splitNul((await recorded("runuser.args")) ?? ""),
          path: (await recorded("runuser.path")) ?? "",
        };
      },
    };
  };

  /**
   * Runs another program the user-data wrote (after runUserData), as the instance would later,
   * with `journal` entries added to the runner's journal first; its exit code.
   */
  const runWritten = async (path: string, journal: readonly Record<string, string>[] = []) => {
    await appendFile(
      join(dir, "journal.jsonl"),
      journal.map((entry) => `${JSON.stringify(entry)}\n`).join(""),
    );
    const env = { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, RUNNER_ROOT: root };
    return run("bash", [join(root, path)], { cwd: dir, env, timeout: 20_000 }).then(
      () => 0,
      (error: { code?: number }) => error.code ?? -1,
    );
  };

  /** Every CloudWatch Logs call so far: its X-Amz-Target and JSON body. */
  const logCalls = async () =>
    ((await optional(join(record, "logs.tsv"))) ?? "")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [target, body] = line.split("\t") as [string, string];
        return { target, body: JSON.parse(body) as Record<string, unknown> };
      });

  /** CloudWatch Logs refuses every call from now on (a throttle, an outage), or takes them again. */
  const refuseLogs = (refused: boolean) =>
    refused
      ? writeFile(join(dir, "logs-refused"), "")
      : rm(join(dir, "logs-refused"), { force: true });

  return {
    runUserData,
    runWritten,
    refuseLogs,
    logCalls,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
};

/** A TOML file as data, read by Python's tomllib (3.11+), a complete TOML 1.0 parser. */
export const parseToml = async (text: string): Promise<Record<string, unknown>> => {
  const child = run("python3", [
    "-c",
    "import json, sys, tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))",
  ]);
  child.child.stdin?.end(text);
  return JSON.parse((await child).stdout);
};
