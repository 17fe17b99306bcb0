import { Cron } from "croner";
import * as v from "valibot";
import { ConfigurationError } from "../errors";
import { parseDurationSeconds } from "./duration";
import {
  awsTags,
  caCertificates,
  diskProblem,
  diskSettings,
  dockerSettings,
  installHooks,
  kmsKeyArn,
  MAX_OPERATOR_TAGS,
  rolePath,
  rolePermissionsBoundary,
  runnerLogs,
  runnerScripts,
} from "./operator-settings";

// Setting names follow GitLab's autoscaler (idle_count, idle_time, max_instances, policy.periods,
// timezone) wherever the meaning is the same, so the file reads like a runner config.toml.

const isCron = (pattern: string) => {
  try {
    new Cron(pattern);
    return pattern.trim().split(/\s+/).length === 5;
  } catch {
    return false;
  }
};

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

// At most 2^53 - 1: beyond, a number has lost digits, and a duration would reach the runner's
// user-data and tags as `1e+21`.
const count = v.pipe(
  v.number(),
  v.integer("must be a whole number"),
  v.minValue(0),
  v.maxValue(Number.MAX_SAFE_INTEGER),
);
const id = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
const durationMessage = "must be seconds or a duration like '90s', '20m', '1h30m'";
const duration = v.pipe(
  v.union([v.number(), v.string()], durationMessage),
  v.transform(parseDurationSeconds),
  v.number(durationMessage),
  v.maxValue(Number.MAX_SAFE_INTEGER),
);
const name = v.pipe(
  v.string(),
  v.regex(
    /^[a-z][a-z0-9-]{0,30}$/,
    "must start with a letter and hold only a-z, 0-9 and '-', 31 characters at most",
  ),
);
const tag = v.pipe(v.string(), v.minLength(1), v.maxLength(255));
const cron = v.pipe(v.string(), v.check(isCron, "is not a five-field cron expression"));

const policySchema = v.strictObject({
  periods: v.pipe(v.array(cron), v.minLength(1, "needs at least one cron expression")),
  timezone: v.optional(v.pipe(v.string(), v.check(isTimeZone, "is not an IANA time zone")), "UTC"),
  idle_count: v.optional(count),
  idle_time: v.optional(duration),
  max_instances: v.optional(count),
});

const runnerFieldEntries = {
  executor: v.optional(v.picklist(["docker", "shell"]), "docker"),
  image: v.optional(v.pipe(v.string(), v.minLength(1)), "alpine:latest"),
  // GitLab refuses a runner whose maximum_timeout is shorter, with this message.
  maximum_timeout: v.optional(
    v.pipe(duration, v.minValue(600, "needs to be at least 10 minutes (600 seconds)")),
    3600,
  ),
  access_level: v.optional(v.picklist(["not_protected", "ref_protected"]), "not_protected"),
  /**
   * `reuse`: a GitLab runner outlives its job and serves the next one, its token reset in between
   * (one GitLab call per job instead of a create and a delete, and one runner manager per
   * registration); `per_job`: each job's runner is created for it and deleted after it.
   */
  registrations: v.optional(v.picklist(["reuse", "per_job"]), "reuse"),
  /** A registration no job used for this long is deleted, so the set follows real peak concurrency. */
  registration_idle_time: v.optional(duration, 86_400),
  ...runnerScripts,
  docker: dockerSettings,
};

/**
 * GitLab caps the runners registered in a group or project (`ci_registered_group_runners`,
 * `ci_registered_project_runners`: 50 on gitlab.com Free, 1,000 on Premium): this deployment's
 * share of it. Instance runners have no such cap.
 */
const registeredRunnerLimit = v.optional(v.pipe(count, v.minValue(1)));

// Where GitLab creates the runners, with the parameters of POST /user/runners.
const runnerScope = v.variant("runner_type", [
  v.strictObject({
    runner_type: v.literal("instance_type"),
    ...runnerFieldEntries,
  }),
  v.strictObject({
    runner_type: v.literal("group_type"),
    group_id: id,
    registered_runner_limit: registeredRunnerLimit,
    ...runnerFieldEntries,
  }),
  v.strictObject({
    runner_type: v.literal("project_type"),
    project_id: id,
    registered_runner_limit: registeredRunnerLimit,
    ...runnerFieldEntries,
  }),
]);

const amiSchema = v.pipe(
  v.strictObject({
    id: v.optional(v.pipe(v.string(), v.regex(/^ami-[0-9a-f]{8,17}$/, "is not an AMI id"))),
    ssm_parameter: v.optional(
      v.pipe(v.string(), v.startsWith("/", "must be an SSM parameter path")),
    ),
  }),
  v.check(
    (ami) => (ami.id === undefined) !== (ami.ssm_parameter === undefined),
    "give exactly one of id and ssm_parameter",
  ),
);

const instanceSchema = v.pipe(
  v.strictObject({
    types: v.pipe(
      v.array(
        v.pipe(v.string(), v.regex(/^[a-z0-9-]+\.[a-z0-9]+$/, "is not an EC2 instance type")),
      ),
      v.minLength(1, "needs at least one instance type"),
    ),
    subnets: v.pipe(
      v.array(v.pipe(v.string(), v.regex(/^subnet-[0-9a-f]{8,17}$/, "is not a subnet id"))),
      v.minLength(1, "needs at least one subnet"),
    ),
    ami: amiSchema,
    market: v.optional(
      v.picklist(["spot", "on-demand", "spot-then-on-demand"]),
      "spot-then-on-demand",
    ),
    /** A job retried after a spot interruption gets an on-demand runner, so it is not hit twice. */
    retry_on_demand: v.optional(v.boolean(), true),
    disk_size_gb: v.optional(v.pipe(count, v.minValue(8), v.maxValue(16384)), 30),
    security_group_ids: v.optional(
      v.array(v.pipe(v.string(), v.regex(/^sg-[0-9a-f]{8,17}$/, "is not a security group id"))),
      [],
    ),
    ...diskSettings,
    ...installHooks,
    /** Cost allocation tags of this pool's instances, volumes and fleets, beside the deployment's. */
    tags: awsTags,
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = diskProblem(dataset.value);
    if (problem) addIssue({ message: problem });
  }),
);

const cacheSchema = v.strictObject({
  bucket: v.pipe(
    v.string(),
    v.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "is not an S3 bucket name"),
  ),
  region: v.optional(
    v.pipe(v.string(), v.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "is not an AWS region")),
  ),
  shared: v.optional(v.boolean(), false),
});

/**
 * Pipeline lookahead: a later stage's jobs are announced (`created`) when the pipeline is made, so
 * their runners can be launched to be ready when the earlier stages end (see lookahead-demand.ts).
 */
const lookaheadSchema = v.strictObject({
  // On: in the simulator's work week it cuts later stages' p95 wait from ~50 s to ~4 s for ~20%
  // more instance time (see the README's figures).
  enabled: v.optional(v.boolean(), true),
  /**
   * How long before a job's estimated pending time its runner is launched: the pool's boot time
   * and a margin for the estimate. Also the bound on how early a runner may start.
   */
  lead_time: v.optional(
    v.pipe(duration, v.minValue(1), v.maxValue(1800, "is at most 30 minutes (1800 seconds)")),
    75,
  ),
  /** Runners lookahead may hold at once: launched ahead of demand, no pending job for them yet. */
  max_runners: v.optional(count, 20),
});

const poolSchema = v.pipe(
  v.strictObject({
    name,
    tags: v.optional(
      v.pipe(
        v.array(tag),
        v.check((tags) => new Set(tags).size === tags.length, "has duplicates"),
      ),
      [],
    ),
    run_untagged: v.optional(v.boolean(), false),
    runner: runnerScope,
    instance: instanceSchema,
    max_instances: count,
    idle_count: v.optional(count, 0),
    idle_time: v.optional(duration, 300),
    boot_timeout: v.optional(duration, 600),
    straggler_after: v.optional(duration, 90),
    policy: v.optional(v.array(policySchema), []),
    cache: v.optional(cacheSchema),
    lookahead: v.optional(lookaheadSchema, {}),
  }),
  v.check(
    (pool) => pool.run_untagged || pool.tags.length > 0,
    "a pool without tags must set run_untagged: true, or no job can reach it",
  ),
  v.check(
    (pool) => pool.idle_count <= pool.max_instances,
    "idle_count cannot exceed max_instances",
  ),
  v.check(
    (pool) =>
      pool.runner.executor === "docker" ||
      Object.values(pool.runner.docker).every((x) => x === undefined || x === false),
    "runner.docker applies to the docker executor only",
  ),
);

const configSchema = v.pipe(
  v.strictObject({
    /** Names this deployment in instance tags and GitLab runner descriptions; unique per AWS account and GitLab. */
    deployment: name,
    gitlab_url: v.pipe(
      v.string(),
      v.url("is not a URL"),
      // `gitlab.example.com:443` is a URL too, of scheme `gitlab.example.com:`.
      v.regex(/^https?:\/\//i, "must start with https:// (http:// for a GitLab on this machine)"),
    ),
    /** The cap across every pool. */
    max_instances: count,
    /**
     * Shell access to the runners through SSM Session Manager, for debugging: adds the agent's
     * actions to the runner role, which every pool shares. Off, no SSM call but its own token's.
     */
    session_manager: v.optional(v.boolean(), false),
    /** Cost allocation tags on every runner instance, volume and fleet (and each pool's own). */
    tags: awsTags,
    runner_logs: runnerLogs,
    /** Trusted by the instances, Docker and gitlab-runner: for a GitLab or registry behind a private CA. */
    ca_certificates: caCertificates,
    /** The customer's key for the runner volumes, token parameters, secrets and logs. */
    kms_key_arn: kmsKeyArn,
    /** On every IAM role the deployment creates, as regulated organisations require. */
    role_permissions_boundary: rolePermissionsBoundary,
    role_path: rolePath,
    pools: v.pipe(
      v.array(poolSchema),
      v.minLength(1, "needs at least one pool"),
      v.check(
        (pools) => new Set(pools.map((pool) => pool.name)).size === pools.length,
        "pool names must be unique",
      ),
    ),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const pool of dataset.value.pools) {
      const keys = new Set([
        ...Object.keys(dataset.value.tags),
        ...Object.keys(pool.instance.tags),
      ]);
      if (keys.size > MAX_OPERATOR_TAGS)
        addIssue({
          message: `pools.${pool.name}: the deployment's and the pool's tags come to ${keys.size}, more than ${MAX_OPERATOR_TAGS}`,
        });
    }
  }),
);

export type AutoscalerConfigInput = v.InferInput<typeof configSchema>;
export type AutoscalerConfig = v.InferOutput<typeof configSchema>;
export type PoolConfig = AutoscalerConfig["pools"][number];
export type PoolPolicy = PoolConfig["policy"][number];

/** For the config file: types and editor completion; validation happens when it is loaded. */
export const defineConfig = (config: AutoscalerConfigInput): AutoscalerConfigInput => config;

/** Validates a config; the error names every bad field by its path (e.g. `pools.0.idle_time`). */
export const parseAutoscalerConfig = (input: unknown): AutoscalerConfig => {
  const parsed = v.safeParse(configSchema, input);
  if (parsed.success) return parsed.output;
  const problems = parsed.issues.map(
    (issue) => `${v.getDotPath(issue) ?? "(config)"}: ${issue.message}`,
  );
  throw new ConfigurationError(`invalid autoscaler config:\n  ${problems.join("\n  ")}`);
};
