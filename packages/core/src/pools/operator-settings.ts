import * as v from "valibot";

// The settings operators of terraform-aws-github-runner, cattle-ops/terraform-aws-gitlab-runner
// and GitLab's docker-autoscaler expect; names are GitLab's (config.toml) or theirs where they
// have one.

/** Keys this project tags its own resources with; an operator's tag may not shadow them. */
const RESERVED_TAG_PREFIXES = ["aws:", "gitlab-runner-autoscaler:"];
/** EC2 allows 50 tags a resource; this project sets up to 5 of its own. */
export const MAX_OPERATOR_TAGS = 40;

// AWS's tag rules (the EC2 and Resource Groups Tagging documentation): letters, digits, spaces and
// `_ . : / = + - @`, keys 1-128 and values 0-256 characters.
const tagKey = v.pipe(
  v.string(),
  v.regex(
    /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u,
    "is not an AWS tag key (1-128 letters, digits, spaces, _.:/=+-@)",
  ),
  v.check(
    (key) => !RESERVED_TAG_PREFIXES.some((prefix) => key.toLowerCase().startsWith(prefix)),
    `may not start with ${RESERVED_TAG_PREFIXES.join(" or ")}`,
  ),
  v.check((key) => key !== "Name", "'Name' is set by the autoscaler (deployment/pool)"),
);
const tagValue = v.pipe(
  v.string(),
  v.regex(
    /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u,
    "is not an AWS tag value (0-256 letters, digits, spaces, _.:/=+-@)",
  ),
);

/** Cost allocation and other tags, on the instances, their volumes and their fleets. */
export const awsTags = v.optional(
  v.pipe(
    v.record(tagKey, tagValue),
    v.check(
      (tags) => Object.keys(tags).length <= MAX_OPERATOR_TAGS,
      `holds more than ${MAX_OPERATOR_TAGS} tags (EC2 allows 50 a resource, the autoscaler sets some)`,
    ),
  ),
  {},
);

const arn = (service: string, resource: RegExp, what: string) =>
  v.pipe(
    v.string(),
    v.regex(new RegExp(`^arn:aws[a-z-]*:${service}:${resource.source}$`), `is not ${what}`),
  );

/** A customer-managed KMS key, by ARN (an alias would not do for the key policy grants). */
export const kmsKeyArn = v.optional(
  arn(
    "kms",
    /[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/[0-9a-f-]{36}/,
    "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<uuid>)",
  ),
);

/** IAM's rules for a path: `/`, or `/a/b/`; 512 characters at most. */
export const rolePath = v.optional(
  v.pipe(
    v.string(),
    v.regex(/^\/([\x21-\x7e]+\/)*$/, "must start and end with '/' (for example /ci/runners/)"),
    v.maxLength(512),
  ),
  "/",
);

export const rolePermissionsBoundary = v.optional(
  arn("iam", /:\d{12}:policy\/[\x21-\x7e]+|:aws:policy\/[\x21-\x7e]+/, "an IAM policy ARN"),
);

/** Log retentions CloudWatch Logs accepts (PutRetentionPolicy), in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

/** Boot, user-data and gitlab-runner logs of every runner, in the deployment's log group. */
export const runnerLogs = v.optional(
  v.strictObject({
    enabled: v.optional(v.boolean(), true),
    retention_days: v.optional(
      v.picklist(
        LOG_RETENTION_DAYS,
        `must be one of CloudWatch's retentions: ${LOG_RETENTION_DAYS.join(", ")}`,
      ),
      30,
    ),
  }),
  {},
);

const ssmParameter = v.pipe(v.string(), v.startsWith("/", "must be an SSM parameter path"));
const s3Uri = v.pipe(
  v.string(),
  v.regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/, "must be s3://<bucket>/<key>"),
);

/** Extra CA certificates (PEM) the instance, Docker and gitlab-runner trust. */
export const caCertificates = v.optional(
  v.array(
    v.union(
      [v.strictObject({ ssm_parameter: ssmParameter }), v.strictObject({ s3: s3Uri })],
      "give { ssm_parameter: '/path' } or { s3: 's3://bucket/key' }",
    ),
  ),
  [],
);

/** A shell snippet run by the user-data or by gitlab-runner: bash, as the rest of it. */
const snippet = v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(16_384)));

/** GitLab's own [[runners]] scripts, run for every job (config.toml's names). */
export const runnerScripts = {
  pre_get_sources_script: snippet,
  pre_build_script: snippet,
  post_build_script: snippet,
};

/** The user-data's hooks, as root, before and after gitlab-runner and the executor are set up. */
export const installHooks = {
  pre_install: snippet,
  post_install: snippet,
};

const url = v.pipe(
  v.string(),
  v.url("is not a URL"),
  v.regex(/^https?:\/\//i, "must be http(s)://"),
);

/** The Docker executor's extra settings (GitLab's [runners.docker] names, and the daemon's). */
export const dockerSettings = v.optional(
  v.strictObject({
    /** A pull-through cache for Docker Hub (the daemon's registry-mirrors). */
    registry_mirror: v.optional(url),
    /** The runner's helper image, from the mirror or a private registry (GitLab's helper_image). */
    helper_image: v.optional(v.pipe(v.string(), v.minLength(1))),
    /** ECR images pulled with the instance role (docker-credential-ecr-login). */
    ecr_credential_helper: v.optional(v.boolean(), false),
    /** GPUs visible in the job's containers (GitLab's gpus: "all", or "device=0,1"). */
    gpus: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^(all|\d+|device=\d+(,\d+)*)$/, "must be 'all', a count or 'device=0,1'"),
      ),
    ),
  }),
  {},
);

/** Root volume settings beyond the size (EBS's names). */
export const diskSettings = {
  disk_type: v.optional(v.picklist(["gp3", "gp2", "io1", "io2"]), "gp3"),
  disk_iops: v.optional(v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(100))),
  disk_throughput: v.optional(
    v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(125)),
  ),
  /** Docker's data root on the type's NVMe instance store, where it has one (faster, no cost). */
  docker_on_instance_store: v.optional(v.boolean(), true),
};

interface DiskFields {
  readonly disk_type: "gp3" | "gp2" | "io1" | "io2";
  readonly disk_iops?: number;
  readonly disk_throughput?: number;
}

// EBS's ranges (CreateVolume): gp3 3,000-80,000 IOPS and 125-2,000 MiB/s at most 0.25 MiB/s an
// IOPS; io1 100-64,000 and io2 100-256,000 IOPS, required; gp2's IOPS follow its size.
const IOPS_RANGE = { gp3: [3000, 80_000], io1: [100, 64_000], io2: [100, 256_000] } as const;
const GP3_THROUGHPUT = [125, 2000] as const;
const GP3_BASELINE_IOPS = 3000;

/** The combinations EBS refuses at launch, refused at load instead; undefined when none. */
export const diskProblem = (disk: DiskFields): string | undefined => {
  const { disk_type: type, disk_iops: iops, disk_throughput: throughput } = disk;
  if (throughput !== undefined) {
    if (type !== "gp3") return "disk_throughput applies to gp3 only";
    if (throughput > GP3_THROUGHPUT[1])
      return `disk_throughput must be ${GP3_THROUGHPUT.join("-")} MiB/s`;
    if (throughput > (iops ?? GP3_BASELINE_IOPS) / 4)
      return `disk_throughput ${throughput} needs disk_iops ${throughput * 4} or more (gp3 gives 0.25 MiB/s an IOPS)`;
  }
  if (type === "gp2")
    return iops === undefined
      ? undefined
      : "disk_iops does not apply to gp2 (its IOPS follow its size)";
  if (iops === undefined) return type === "gp3" ? undefined : `disk_iops is required for ${type}`;
  const [min, max] = IOPS_RANGE[type];
  return iops < min || iops > max ? `disk_iops must be ${min}-${max} for ${type}` : undefined;
};
