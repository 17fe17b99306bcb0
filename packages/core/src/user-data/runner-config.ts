import type { PoolConfig } from "../pools/autoscaler-config";

/** Where the instance keeps the runner's work; the job's builds and caches go below it. */
export const STATE_DIR = "/var/lib/ephemeral-runner";

/** Root-only (0700): the config file in it holds the runner's token. */
export const RUNNER_CONFIG_DIR = "/etc/gitlab-runner-ephemeral";

/**
 * A TOML basic string, made safe for an unquoted bash here-document: JSON's escapes are TOML's
 * (plus DEL, which TOML wants escaped), then `\`, `$` and backquotes are escaped for bash.
 */
const tomlString = (text: string): string =>
  JSON.stringify(text)
    .replaceAll("\x7f", "\\u007f")
    .replace(/[\\$`]/g, "\\$&");

// FF_CONCRETE stays off whatever a job's variables say (the runner's setting wins): it would run a
// shell job's script in gitlab-runner's own in-process step runner, as root.
const executorSettings = (pool: PoolConfig): string[] =>
  pool.runner.executor === "docker"
    ? [
        '  executor = "docker"',
        "  [runners.docker]",
        `    image = ${tomlString(pool.runner.image)}`,
        ...(pool.runner.docker.helper_image
          ? [`    helper_image = ${tomlString(pool.runner.docker.helper_image)}`]
          : []),
        ...(pool.runner.docker.gpus ? [`    gpus = ${tomlString(pool.runner.docker.gpus)}`] : []),
      ]
    : [
        '  executor = "shell"',
        '  shell = "bash"',
        "  [runners.feature_flags]",
        "    FF_CONCRETE = false",
      ];

const cacheTables = (pool: PoolConfig): string[] => {
  if (!pool.cache) return [];
  return [
    "  [runners.cache]",
    '    Type = "s3"',
    `    Shared = ${pool.cache.shared}`,
    "    [runners.cache.s3]",
    '      ServerAddress = "s3.amazonaws.com"',
    `      BucketName = ${tomlString(pool.cache.bucket)}`,
    `      BucketLocation = ${pool.cache.region ? tomlString(pool.cache.region) : '"$REGION"'}`,
    '      AuthenticationType = "iam"',
  ];
};

// GitLab's own per-job scripts, as config.toml names them.
const jobScripts = (pool: PoolConfig): string[] =>
  (["pre_get_sources_script", "pre_build_script", "post_build_script"] as const).flatMap((name) => {
    const script = pool.runner[name];
    return script === undefined ? [] : [`  ${name} = ${tomlString(script)}`];
  });

/**
 * The pool's config.toml, as the body of a bash here-document that expands the script's `$token`,
 * `$REGION` and `$CONFIG_DIR`. `run-single --runner` takes the whole runner from it and ignores
 * runner flags. `caFile`: the extra CAs' bundle, for GitLab behind a private CA.
 */
export const runnerConfigToml = (pool: PoolConfig, gitlabUrl: string, caFile?: string): string =>
  [
    "concurrent = 1",
    "",
    "[[runners]]",
    `  name = ${tomlString(pool.name)}`,
    `  url = ${tomlString(gitlabUrl)}`,
    '  token = "$token"',
    ...(caFile ? [`  tls-ca-file = "${caFile}"`] : []),
    ...jobScripts(pool),
    `  builds_dir = "${STATE_DIR}/builds"`,
    `  cache_dir = "${STATE_DIR}/cache"`,
    ...executorSettings(pool),
    ...cacheTables(pool),
  ].join("\n");
