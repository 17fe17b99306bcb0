import type { AutoscalerConfigInput } from "@ger/core/types";
import fc from "fast-check";
import { configInput } from "./config";

/**
 * One change at a time to a valid autoscaler config, for fuzzing parseAutoscalerConfig. Each
 * field's rule is written here from what the setting means (README, the schema's messages), not
 * read from the schema: what the loader must refuse, naming the field, and what it must take.
 */

type Path = readonly (string | number)[];

/** The shared config with every optional field set somewhere, so each has a path to mutate. */
const richConfig = (): Record<string, unknown> => {
  const input: AutoscalerConfigInput = configInput();
  const config = structuredClone(input) as unknown as Record<string, unknown>;
  const [arm, gpu] = config.pools as unknown as Record<string, Record<string, unknown>>[];
  Object.assign(config, { session_manager: true });
  Object.assign(arm!, {
    boot_timeout: "10m",
    straggler_after: "2m",
    cache: { bucket: "ci-cache.example-1", region: "eu-central-1", shared: true },
  });
  Object.assign(arm!.runner!, { executor: "shell", access_level: "ref_protected" });
  Object.assign(arm!.instance!, {
    market: "spot",
    retry_on_demand: false,
    disk_size_gb: 50,
    security_group_ids: ["sg-0123456789abcdef0"],
  });
  Object.assign((arm!.policy as unknown as Record<string, unknown>[])[0]!, { max_instances: 6 });
  Object.assign(gpu!.runner!, { maximum_timeout: 7200 });
  (config.pools as unknown[]).push({
    name: "shared",
    run_untagged: true,
    tags: [],
    runner: { runner_type: "instance_type" },
    instance: {
      types: ["c7i.large"],
      subnets: ["subnet-0a1b2c3d"],
      ami: { id: "ami-0123456789abcdef0" },
    },
    max_instances: 3,
    idle_count: 1,
  });
  return config;
};

// ---- Values: what each kind of field must refuse, and some of what it must accept. ----

const WRONG = {
  string: ["text", "", "🦊"],
  number: [0, 1, -1, 1.5],
  boolean: [true, false],
  null: [null],
  array: [[], [1]],
  object: [{}, { a: 1 }],
} as const;
type JsonType = keyof typeof WRONG;
/** Values of every JSON type but the ones the field takes. */
const wrongType = (...accepted: JsonType[]) =>
  fc.constantFrom(
    ...(Object.keys(WRONG) as JsonType[])
      .filter((type) => !accepted.includes(type))
      .flatMap((type) => WRONG[type] as readonly unknown[]),
  );

const NOT_NUMBERS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
/** Whole numbers JSON cannot carry exactly, or that lose their digits in a shell script. */
const UNSAFE_INTEGERS = [2 ** 53, 2 ** 53 + 2, 1e21, 1e300, -(2 ** 53)];

/** A whole number of at least 0 (`-0` is one). */
const invalidCount = fc.oneof(
  wrongType("number"),
  fc.constantFrom(...NOT_NUMBERS, ...UNSAFE_INTEGERS),
  fc.integer({ max: -1 }),
  fc.double({ noInteger: true, noNaN: true }),
);

/** Seconds as a whole number, or Go-style `1h30m` / `20m` / `90s` (hours, minutes, seconds, in that order). */
const GO_DURATION = /^(?:\d+h)?(?:\d+m)?(?:\d+s)?$/;
const isDurationText = (text: string) => text.trim() !== "" && GO_DURATION.test(text.trim());
const goDuration = fc
  .record(
    { h: fc.nat(48), m: fc.nat(300), s: fc.nat(5000) },
    { requiredKeys: [] as ("h" | "m" | "s")[] },
  )
  .filter((parts) => Object.keys(parts).length > 0)
  .map(({ h, m, s }) =>
    [
      h === undefined ? "" : `${h}h`,
      m === undefined ? "" : `${m}m`,
      s === undefined ? "" : `${s}s`,
    ].join(""),
  );
const invalidDuration = fc.oneof(
  wrongType("number", "string"),
  invalidCount.filter((value) => typeof value === "number"),
  fc.constantFrom(
    "soon",
    "5 m",
    "1d",
    "-5m",
    "5M",
    "1.5h",
    "500ms",
    "1s1m",
    "90",
    "0",
    "99999999999999999999h",
  ),
  fc.string().filter((text) => !isDurationText(text)),
);
const validDuration = fc.oneof(
  fc.nat(),
  goDuration,
  goDuration.map((text) => ` ${text} `),
);
const secondsOf = (text: string) =>
  [...text.trim().matchAll(/(\d+)([hms])/g)].reduce(
    (sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit as "h" | "m" | "s"],
    0,
  );

const matching = (pattern: RegExp, ...bad: string[]) =>
  fc.oneof(
    wrongType("string"),
    fc.constantFrom(...bad),
    fc.string().filter((text) => !pattern.test(text)),
  );
const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const invalidName = matching(NAME, "", "CI", "1abc", "a_b", "é", "a".repeat(32), "-a");
const validName = fc.stringMatching(NAME);
const picklist = (...allowed: string[]) =>
  fc.oneof(
    wrongType("string"),
    fc.constantFrom(...allowed.map((value) => value.toUpperCase()), "", " docker"),
    fc.string().filter((text) => !allowed.includes(text)),
  );
const invalidBoolean = fc.oneof(wrongType("boolean"), fc.constantFrom("true", "false", "yes"));
const invalidId = fc.oneof(
  wrongType("number"),
  fc.constantFrom(0, -1, 1.5, "42", ...NOT_NUMBERS, ...UNSAFE_INTEGERS),
  fc.integer({ max: 0 }),
);
const nonEmptyList = (...accepted: JsonType[]) =>
  fc.oneof(wrongType("array", ...accepted), fc.constant([]));
const INVALID_CRONS = [
  "every day",
  "",
  "61 * * * *",
  "60 * * * *",
  "* 24 * * *",
  "* * 32 * *",
  "* * 0 * *",
  "* * * 13 *",
  "* * * * 8",
  "* * * * mon-fry",
  "*/0 * * * *",
  "* * * * * *",
  "* * * *",
  "@daily",
];
const INVALID_ZONES = ["Mars/Base", "Europe/Atlantis", "", "local", "Berlin", "UTC+1"];

interface Rule {
  readonly required: boolean;
  /** What the field must refuse; the loader must then name its path (or a path inside it). */
  readonly invalid: fc.Arbitrary<unknown>;
  /** Some of what it must accept; absent where the field is tied to others (pool names, tags). */
  readonly valid?: fc.Arbitrary<unknown>;
}
const rule = (required: boolean, invalid: fc.Arbitrary<unknown>, valid?: fc.Arbitrary<unknown>) =>
  ({ required, invalid, ...(valid && { valid }) }) satisfies Rule;
const objectRule = (required: boolean) => rule(required, wrongType("object", "array"));

/** Every field by path pattern (`*`: any index), as the schema documents it. */
const RULES: Readonly<Record<string, Rule>> = {
  deployment: rule(true, invalidName, validName),
  // An http(s) URL: GitLab's API is reached over nothing else.
  gitlab_url: rule(
    true,
    matching(
      /^https?:\/\/[^/\s]+/,
      "gitlab",
      "http://",
      "://gitlab",
      "gitlab.example.com",
      "gitlab.example.com:443",
      "localhost:8080",
      "ftp://gitlab.example.com",
      "mailto:ops@example.com",
      "not a url",
    ),
    fc.constantFrom("https://gitlab.com", "http://localhost:8080/gitlab"),
  ),
  max_instances: rule(true, invalidCount, fc.nat()),
  session_manager: rule(false, invalidBoolean, fc.boolean()),
  pools: rule(true, nonEmptyList()),
  "pools.*": objectRule(true),
  "pools.*.name": rule(true, invalidName),
  "pools.*.tags": rule(false, wrongType("array")),
  "pools.*.tags.*": rule(true, fc.oneof(wrongType("string"), fc.constantFrom("", "t".repeat(256)))),
  "pools.*.run_untagged": rule(false, invalidBoolean),
  "pools.*.runner": objectRule(true),
  "pools.*.runner.runner_type": rule(true, picklist("instance_type", "group_type", "project_type")),
  "pools.*.runner.group_id": rule(true, invalidId, fc.integer({ min: 1 })),
  "pools.*.runner.project_id": rule(true, invalidId, fc.integer({ min: 1 })),
  "pools.*.runner.registered_runner_limit": rule(
    false,
    fc.oneof(invalidCount, fc.constant(0)),
    fc.integer({ min: 1 }),
  ),
  "pools.*.runner.executor": rule(
    false,
    picklist("docker", "shell"),
    fc.constantFrom("docker", "shell"),
  ),
  "pools.*.runner.image": rule(
    false,
    fc.oneof(wrongType("string"), fc.constant("")),
    fc.string({ minLength: 1 }),
  ),
  // GitLab refuses a runner whose maximum_timeout is under 10 minutes.
  "pools.*.runner.maximum_timeout": rule(
    false,
    fc.oneof(invalidDuration, fc.constantFrom(0, 599, "9m", "599s", "9m59s"), fc.nat(599)),
    validDuration.filter((value) => (typeof value === "number" ? value : secondsOf(value)) >= 600),
  ),
  "pools.*.runner.access_level": rule(
    false,
    picklist("not_protected", "ref_protected"),
    fc.constantFrom("not_protected", "ref_protected"),
  ),
  "pools.*.runner.registrations": rule(
    false,
    picklist("reuse", "per_job"),
    fc.constantFrom("reuse", "per_job"),
  ),
  "pools.*.runner.registration_idle_time": rule(false, invalidDuration, validDuration),
  "pools.*.instance": objectRule(true),
  "pools.*.instance.types": rule(true, nonEmptyList()),
  "pools.*.instance.types.*": rule(
    true,
    matching(/^[a-z0-9-]+\.[a-z0-9]+$/, "huge", "T4G.large", "t4g", ".large", "t4g.", "t4g large"),
    fc.stringMatching(/^[a-z0-9-]+\.[a-z0-9]+$/),
  ),
  "pools.*.instance.subnets": rule(true, nonEmptyList()),
  "pools.*.instance.subnets.*": rule(
    true,
    matching(
      /^subnet-[0-9a-f]{8,17}$/,
      "subnet-xyz",
      "subnet-0123456",
      "sub-01234567",
      "subnet-0A1B2C3D",
    ),
    fc.stringMatching(/^subnet-[0-9a-f]{8,17}$/),
  ),
  "pools.*.instance.ami": rule(
    true,
    fc.oneof(
      wrongType("object", "array"),
      fc.constantFrom({}, { id: "ami-0123456789abcdef0", ssm_parameter: "/aws/ami" }),
    ),
  ),
  // Exactly one of id and ssm_parameter: removing one breaks the pair (see CROSS).
  "pools.*.instance.ami.id": rule(
    false,
    matching(/^ami-[0-9a-f]{8,17}$/, "ami-123", "ami-XYZ12345", "ami-0123456789abcdef01"),
    fc.stringMatching(/^ami-[0-9a-f]{8,17}$/),
  ),
  "pools.*.instance.ami.ssm_parameter": rule(
    false,
    matching(/^\//, "aws/service/ami", "", " /aws"),
    fc.string().map((text) => `/${text}`),
  ),
  "pools.*.instance.market": rule(
    false,
    picklist("spot", "on-demand", "spot-then-on-demand"),
    fc.constantFrom("spot", "on-demand", "spot-then-on-demand"),
  ),
  "pools.*.instance.retry_on_demand": rule(false, invalidBoolean, fc.boolean()),
  "pools.*.instance.disk_size_gb": rule(
    false,
    fc.oneof(invalidCount, fc.constantFrom(0, 7, 16385), fc.integer({ min: 16385 })),
    fc.integer({ min: 8, max: 16384 }),
  ),
  "pools.*.instance.security_group_ids": rule(false, wrongType("array"), fc.constant([])),
  "pools.*.instance.security_group_ids.*": rule(
    true,
    matching(/^sg-[0-9a-f]{8,17}$/, "sg-123", "sg-XYZ12345", "security-group"),
    fc.stringMatching(/^sg-[0-9a-f]{8,17}$/),
  ),
  "pools.*.max_instances": rule(true, invalidCount, fc.integer({ min: 2 })),
  "pools.*.idle_count": rule(false, invalidCount, fc.nat(2)),
  "pools.*.idle_time": rule(false, invalidDuration, validDuration),
  "pools.*.boot_timeout": rule(false, invalidDuration, validDuration),
  "pools.*.straggler_after": rule(false, invalidDuration, validDuration),
  "pools.*.policy": rule(false, wrongType("array"), fc.constant([])),
  "pools.*.policy.*": objectRule(true),
  "pools.*.policy.*.periods": rule(true, nonEmptyList()),
  "pools.*.policy.*.periods.*": rule(
    true,
    fc.oneof(wrongType("string"), fc.constantFrom(...INVALID_CRONS)),
    fc.constantFrom("* * * * *", "0 8 * * 1-5", "*/15 6-22 * * mon-fri", "30 2 1 * *"),
  ),
  "pools.*.policy.*.timezone": rule(
    false,
    fc.oneof(wrongType("string"), fc.constantFrom(...INVALID_ZONES)),
    fc.constantFrom("UTC", "Europe/Berlin", "America/New_York", "Etc/GMT+5"),
  ),
  "pools.*.policy.*.idle_count": rule(false, invalidCount, fc.nat()),
  "pools.*.policy.*.idle_time": rule(false, invalidDuration, validDuration),
  "pools.*.policy.*.max_instances": rule(false, invalidCount, fc.nat()),
  "pools.*.cache": objectRule(false),
  "pools.*.cache.bucket": rule(
    true,
    matching(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      "ab",
      "-bucket",
      "bucket-",
      "Bucket",
      "b_ucket",
      "b".repeat(64),
    ),
    fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
  ),
  "pools.*.cache.region": rule(
    false,
    matching(/^[a-z]{2}(-[a-z]+)+-\d$/, "eu", "EU-WEST-1", "eu-west", "euwest1", "eu-west-12"),
    fc.stringMatching(/^[a-z]{2}(-[a-z]+)+-\d$/),
  ),
  "pools.*.cache.shared": rule(false, invalidBoolean, fc.boolean()),
};

// ---- Paths in the rich config. ----

const patternOf = (path: Path) =>
  path.map((key) => (typeof key === "number" ? "*" : key)).join(".");
export const dotted = (path: Path) => (path.length === 0 ? "(config)" : path.join("."));
const prefixOf = (path: Path) => (path.length === 0 ? "" : `${patternOf(path)}.`);

const pathsIn = (value: unknown, path: Path = []): Path[] => {
  if (typeof value !== "object" || value === null) return [path];
  const children = Array.isArray(value)
    ? value.flatMap((item, index) => pathsIn(item, [...path, index]))
    : Object.entries(value).flatMap(([key, item]) => pathsIn(item, [...path, key]));
  return [path, ...children];
};

/** The valid config every mutation starts from. */
export const base = richConfig();
const present = pathsIn(base).filter((path) => path.length > 0);
const ruleFor = (path: Path): Rule => {
  const found = RULES[patternOf(path)];
  if (!found) throw new Error(`no rule for ${dotted(path)}: add one`);
  return found;
};
const nodeAt = (config: unknown, path: Path): unknown =>
  path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], config);
const objects = pathsIn(base).filter((path) => {
  const node = nodeAt(base, path);
  return typeof node === "object" && node !== null && !Array.isArray(node);
});
/** Optional fields a present object lacks: setting one is a mutation too. */
const absent = objects.flatMap((path) =>
  Object.keys(RULES)
    .filter((pattern) => pattern.startsWith(prefixOf(path)))
    .map((pattern) => pattern.slice(prefixOf(path).length))
    .filter((key) => !key.includes(".") && key !== "*")
    .filter((key) => !(key in (nodeAt(base, path) as object)))
    .filter((key) => !RULES[`${patternOf([...path, key])}`]!.required)
    .map((key) => [...path, key]),
);
const settable = [...present, ...absent];
/** Fields valid or not depending on another: changed only by CROSS, never freely. */
const TIED = new Set([
  "pools.1.tags",
  "pools.2.run_untagged",
  "pools.*.instance.ami.id",
  "pools.*.instance.ami.ssm_parameter",
  // Instance runners have no registration cap: the field is not theirs.
  "pools.2.runner.registered_runner_limit",
]);
const isTied = (path: Path) => TIED.has(dotted(path)) || TIED.has(patternOf(path));
const free = settable.filter((path) => !isTied(path));
const removable = present.filter(
  (path) => typeof path.at(-1) === "string" && ruleFor(path).required,
);
const KNOWN_KEYS = new Set(Object.keys(RULES).flatMap((pattern) => pattern.split(".")));

export interface Mutation {
  readonly label: string;
  /** The path the loader must name; every path it names must be this one or inside it. */
  readonly names: string;
  /** Changes a copy of the rich config in place, or returns the Whole that replaces it. */
  readonly apply: (config: Record<string, unknown>) => unknown;
}
class Whole {
  constructor(readonly value: unknown) {}
}
/** Counterexamples print as their label. */
const mutation = (label: string, names: string, apply: Mutation["apply"]): Mutation =>
  Object.assign({ label, names, apply }, { [fc.toStringMethod]: () => label });

export const setAt = (config: Record<string, unknown>, path: Path, value: unknown) => {
  // An own "__proto__" key, as JSON.parse makes it, rather than a prototype change.
  Object.defineProperty(nodeAt(config, path.slice(0, -1)), path.at(-1)!, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return undefined;
};
const removeAt = (config: Record<string, unknown>, path: Path) => {
  delete (nodeAt(config, path.slice(0, -1)) as Record<string | number, unknown>)[path.at(-1)!];
  return undefined;
};
const show = (value: unknown) => {
  const text = typeof value === "number" ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
};

const replaced = fc
  .constantFrom(...settable)
  .chain((path) =>
    ruleFor(path).invalid.map((value) =>
      mutation(`${dotted(path)} = ${show(value)}`, dotted(path), (c) => setAt(c, path, value)),
    ),
  );
const removed = fc.constantFrom(...removable).chain((path) =>
  fc.constantFrom(
    mutation(`delete ${dotted(path)}`, dotted(path), (c) => removeAt(c, path)),
    mutation(`${dotted(path)} = undefined`, dotted(path), (c) => setAt(c, path, undefined)),
  ),
);
const TYPOS = [
  "idle_cont",
  "idleCount",
  "maxInstances",
  "Idle_time",
  "max_instance",
  "tag",
  "maximum_timout",
  "timzone",
  "regions",
  "type",
  "subnet",
  "image_name",
  "__proto__",
  "constructor",
  "toString",
];
const unknownKey = fc.oneof(
  fc.constantFrom(...TYPOS),
  fc.stringMatching(/^[a-z][a-z_]{0,15}$/).filter((key) => !KNOWN_KEYS.has(key)),
);
const added = fc
  .tuple(fc.constantFrom(...objects), unknownKey, fc.jsonValue())
  .map(([path, key, value]) =>
    mutation(`${dotted([...path, key])} = ${show(value)} added`, dotted([...path, key]), (c) =>
      setAt(c, [...path, key], value),
    ),
  );
const rootReplaced = fc
  .constantFrom(null, undefined, 0, "config", true, [])
  .map((value) => mutation(`config = ${show(value)}`, "(config)", () => new Whole(value)));

const pool = (config: Record<string, unknown>, index: number) =>
  (config.pools as Record<string, unknown>[])[index]!;
/** Changes valid on their own that break a rule tying fields together: the loader names the parent. */
const CROSS: readonly Mutation[] = [
  mutation("pools.1.tags = [] without run_untagged", "pools.1", (c) => {
    pool(c, 1).tags = [];
  }),
  mutation("delete pools.1.tags without run_untagged", "pools.1", (c) =>
    removeAt(c, ["pools", 1, "tags"]),
  ),
  mutation("pools.2.run_untagged = false without tags", "pools.2", (c) => {
    pool(c, 2).run_untagged = false;
  }),
  mutation("pools.2.idle_count = 4 above max_instances 3", "pools.2", (c) => {
    pool(c, 2).idle_count = 4;
  }),
  mutation("pools.0.max_instances = 2 below idle_count 3", "pools.0", (c) => {
    Object.assign(pool(c, 0), { idle_count: 3, max_instances: 2 });
  }),
  mutation("pools.1.name = pools.0.name", "pools", (c) => {
    pool(c, 1).name = "linux-arm";
  }),
  mutation("pools.0.tags = a tag twice", "pools.0.tags", (c) => {
    pool(c, 0).tags = ["linux", "linux"];
  }),
  mutation("pools.1.runner.runner_type = group_type without group_id", "pools.1.runner", (c) => {
    Object.assign(pool(c, 1).runner as object, { runner_type: "group_type" });
  }),
  mutation("pools.0.instance.ami with id and ssm_parameter", "pools.0.instance.ami", (c) => {
    Object.assign((pool(c, 0).instance as { ami: object }).ami, { id: "ami-0123456789abcdef0" });
  }),
  mutation("delete pools.1.instance.ami.id", "pools.1.instance.ami", (c) =>
    removeAt(c, ["pools", 1, "instance", "ami", "id"]),
  ),
];

export const invalidMutation = fc.oneof(
  { arbitrary: replaced, weight: 6 },
  { arbitrary: removed, weight: 2 },
  { arbitrary: added, weight: 2 },
  { arbitrary: rootReplaced, weight: 1 },
  { arbitrary: fc.constantFrom(...CROSS), weight: 1 },
);

export const mutated = (change: Mutation): unknown => {
  const config = structuredClone(base);
  const whole = change.apply(config);
  return whole instanceof Whole ? whole.value : config;
};

/** A valid value for a field the rules leave free: the loader must take it. */
export const validChange = fc
  .constantFrom(...free.filter((path) => ruleFor(path).valid))
  .chain((path) =>
    ruleFor(path).valid!.map((value) =>
      mutation(`${dotted(path)} = ${show(value)}`, dotted(path), (c) => setAt(c, path, value)),
    ),
  );

/** The removal of each optional field the rules leave free: the loader must take it. */
export const freeRemovals: readonly Mutation[] = present
  .filter((path) => typeof path.at(-1) === "string" && !ruleFor(path).required && !isTied(path))
  .map((path) => mutation(`delete ${dotted(path)}`, dotted(path), (c) => removeAt(c, path)));
