import { createHmac, randomUUID } from "node:crypto";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { docsJobHook, minimalJobHook, TEST_SIGNING_KEY, TEST_TOKEN } from "./gitlab";

/**
 * Webhook requests for fuzzing: GitLab's documented Job Hook with fields replaced, removed or
 * added; odd, huge and non-UTF-8 bodies; every kind of token, signature, event and content type.
 * What each must come to is webhook-oracle.ts's to say.
 */

/** GitLab's documented Job Hook, read once. */
export const DOCS_TEXT = JSON.stringify(docsJobHook());
const DOCS: Record<string, unknown> = JSON.parse(DOCS_TEXT);
/** The documented cap: GitLab allows 25 MB, a Job Hook is a few KiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

// ---- Credentials: one warm handler per mode. ----

const signingKey = (seed: string) => `whsec_${Buffer.from(seed).toString("base64")}`;
const MASTER = "fuzz-project-tokens-master-0123456789";
const PREVIOUS_MASTER = "fuzz-previous-project-master-987654321";
const PREVIOUS_TOKEN = "fuzz-previous-shared-token-000001";
const GROUP_TOKEN = "fuzz-platform-group-hook-token-0001";
const PREVIOUS_SIGNING_KEY = signingKey("the-previous-signing-key-32bytes");
const OTHER_SIGNING_KEY = signingKey("an-unknown-signing-key-of-32byte");

export const CREDENTIALS = {
  shared: { token: TEST_TOKEN, previousToken: PREVIOUS_TOKEN },
  project: {
    token: MASTER,
    projectTokens: true,
    previousToken: PREVIOUS_MASTER,
    groupHookTokens: [{ name: "platform", token: GROUP_TOKEN }],
  },
  signed: {
    token: TEST_TOKEN,
    previousToken: PREVIOUS_TOKEN,
    signingKey: TEST_SIGNING_KEY,
    previousSigningKey: PREVIOUS_SIGNING_KEY,
  },
} as const;
export type Mode = keyof typeof CREDENTIALS;
export const MODES = Object.keys(CREDENTIALS) as Mode[];

/** What must never reach a log line or an answer: every token and key, a key's bare base64 too. */
export const SECRETS: readonly string[] = [
  ...[TEST_TOKEN, PREVIOUS_TOKEN, MASTER, PREVIOUS_MASTER, GROUP_TOKEN],
  ...[TEST_SIGNING_KEY, PREVIOUS_SIGNING_KEY].flatMap((key) => [key, key.slice("whsec_".length)]),
];

/** Project `id`'s hook token as documented: HMAC-SHA256 of `project:<id>` under the master, hex. */
const projectToken = (master: string, id: number) =>
  createHmac("sha256", master).update(`project:${id}`).digest("hex");

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;
export const isId = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 1;

/** The project a payload speaks for: `project_id`, or `project.id` when it has no project_id. */
const claimedProject = (payload: unknown): number | undefined => {
  if (!isRecord(payload)) return undefined;
  const id =
    "project_id" in payload ? payload.project_id : isRecord(payload.project) && payload.project.id;
  return isId(id) ? id : undefined;
};

/** The tokens a mode takes for a payload: a project's own (and its previous), or a group's. */
export const acceptedTokens = (mode: Mode, payload: unknown): string[] => {
  if (mode !== "project") return [TEST_TOKEN, PREVIOUS_TOKEN];
  const claimed = claimedProject(payload);
  const own =
    claimed === undefined
      ? []
      : [MASTER, PREVIOUS_MASTER].map((master) => projectToken(master, claimed));
  return [...own, GROUP_TOKEN];
};

// ---- Bodies ----

/** A JSON number or string written as is: `1e400`, `-0`, a lone surrogate escape. */
class Raw {
  constructor(readonly json: string) {}
}
const raw = (json: string) => new Raw(json);

const serialize = (value: unknown, indent: number): string => {
  const raws: string[] = [];
  const nonce = randomUUID();
  const text = JSON.stringify(
    value,
    (_, item) => (item instanceof Raw ? `${nonce}:${raws.push(item.json) - 1}` : item),
    indent,
  );
  return raws.reduce((body, json, index) => body.replace(`"${nonce}:${index}"`, () => json), text);
};

const deep = (depth: number, open: string, close: string, inner = "") =>
  open.repeat(depth) + inner + close.repeat(depth);
/** `length` UTF-16 units of `unit`, padded with x. */
const long = (unit: string, length: number) =>
  unit.repeat(Math.floor(length / unit.length)) + "x".repeat(length % unit.length);

/**
 * Any code points, lone surrogates included. (fast-check's "binary" unit builds a million-entry
 * map per arbitrary the first time it biases a string, which costs more than the whole run.)
 */
const unicode = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0x10ffff })), {
      maxLength,
    })
    .map((points) => String.fromCodePoint(...points));

// biome-ignore format: a table
const EXTREMES: readonly unknown[] = [
  null, true, false, 0, -1, 1, 1.5, -1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 1, 2 ** 53 - 1,
  raw("-0"), raw("-0.0"), raw("1.0"), raw("1E2"), raw("9007199254740992"), raw("9007199254740993"),
  raw("123456789012345678901234567890"), raw("1e400"), raw("-1e400"), raw("1e308"), raw("5e-324"),
  raw("1e-7"), raw("315360001"),
  "", " ", "1977", "380", "NaN", "Infinity", "-Infinity", "-1", "null", "true", "undefined", "0x7B",
  "\u0000", "日本語", "🦊", "\u202Eevil", "\uFEFF", raw('"\\ud800"'), raw('"\\udfff\\ud800"'),
  [], {}, [1, 2, 3], { id: 1 }, { path_with_namespace: "a/b" },
  raw(deep(1_000, "[", "]")), raw(deep(200, '{"a":', "}", "1")),
];
/** Any JSON value, biased to the wrong types and extremes a field must survive. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...EXTREMES), weight: 6 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom("x", "é", "€", "𝄞"), fc.constantFrom(9_999, 10_000, 10_001, 100_000))
      .map(([unit, length]) => long(unit, length)),
    weight: 1,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
  { arbitrary: unicode(40), weight: 2 },
  { arbitrary: fc.oneof(fc.integer(), fc.double()), weight: 1 },
  { arbitrary: fc.bigInt().map((n) => raw(String(n))), weight: 1 },
);

// biome-ignore format: a table
export const STATUSES = [
  "created", "waiting_for_resource", "manual", "scheduled", "preparing", "pending", "running",
  "waiting_for_callback", "canceling", "success", "failed", "canceled", "skipped",
];
export const VALID_TIMESTAMPS = [
  "2021-02-23T02:41:37Z",
  "2021-02-23T02:41:37.886Z",
  "2021-02-23T03:41:37+01:00",
  "2021-02-23 02:41:37 UTC",
  "2021-02-23 02:41:37.5 UTC",
];
// biome-ignore format: a table
export const INVALID_TIMESTAMPS = [
  "yesterday", "", "2021-02-23", "23/02/2021 02:41", "2021-02-23 02:41:37", "2021-13-01T00:00:00Z",
  "2021-02-23T25:00:00Z", "1614047297",
];

/** What the field at `key` may become: anything, and more often what trips its own rule. */
const valueAt = (key: string | number): fc.Arbitrary<unknown> => {
  if (key === "build_status") {
    const odd = ["not_visible", "", "PENDING", " pending", "teleporting"];
    return fc.oneof(fc.constantFrom(...STATUSES, ...odd), fc.string(), value);
  }
  if (key === "object_kind")
    return fc.oneof(fc.constantFrom("build", "Build", "job", "pipeline", ""), value);
  if (typeof key === "string" && /_at(_iso)?$/.test(key))
    return fc.oneof(fc.constantFrom(...VALID_TIMESTAMPS, ...INVALID_TIMESTAMPS), value);
  return value;
};

type Path = readonly (string | number)[];
const pathsIn = (node: unknown, path: Path = []): Path[] =>
  isRecord(node)
    ? [path, ...Object.entries(node).flatMap(([key, item]) => pathsIn(item, [...path, key]))]
    : [path];
const nodeAt = (root: unknown, path: Path) =>
  path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), root);
const DOCS_PATHS = pathsIn(DOCS).filter((path) => path.length > 0);
const OBJECT_PATHS = pathsIn(DOCS).filter((path) => isRecord(nodeAt(DOCS, path)));
const ADDED_KEYS = [
  "build_id",
  "project_id",
  "build_status",
  "id",
  "object_kind",
  "__proto__",
  "constructor",
  "toString",
  "extra",
];

interface Change {
  readonly path: Path;
  readonly value?: unknown;
  readonly remove?: true;
}
// Built once per path: arbitraries built inside a chain cost more than running them.
const replacements = DOCS_PATHS.map((path) =>
  valueAt(path.at(-1)!).map((replacement): Change => ({ path, value: replacement })),
);
const change: fc.Arbitrary<Change> = fc.oneof(
  { arbitrary: fc.oneof(...replacements), weight: 6 },
  {
    arbitrary: fc.constantFrom(...DOCS_PATHS).map((path): Change => ({ path, remove: true })),
    weight: 2,
  },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(...OBJECT_PATHS),
        fc.oneof(fc.constantFrom(...ADDED_KEYS), fc.string({ maxLength: 10 })),
        value,
      )
      .map(([path, key, added]): Change => ({ path: [...path, key], value: added })),
    weight: 1,
  },
);

const applyChange = (
  hook: Record<string, unknown>,
  { path, value: replacement, remove }: Change,
) => {
  const parent = nodeAt(hook, path.slice(0, -1));
  if (!isRecord(parent)) return;
  const key = path.at(-1)!;
  if (remove) delete parent[key];
  // An own key even for "__proto__", as JSON.parse makes it.
  else
    Object.defineProperty(parent, key, {
      value: replacement,
      enumerable: true,
      writable: true,
      configurable: true,
    });
};
const shown = (change: Change) => {
  const replacement =
    change.value instanceof Raw ? change.value.json : JSON.stringify(change.value);
  const text = change.remove ? "removed" : `= ${replacement ?? String(change.value)}`;
  return `${change.path.join(".")} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
};

export interface Body {
  readonly label: string;
  /** API Gateway's `body` and `isBase64Encoded`. */
  readonly eventBody: string | undefined;
  readonly base64: boolean;
  /** What GitLab's bytes say, decoded as UTF-8; undefined when the bytes themselves are unknown. */
  readonly text: string | undefined;
}
/** Counterexamples print their label and the body's start, not a megabyte of it. */
const body = (
  label: string,
  eventBody: string | undefined,
  base64: boolean,
  text: string | undefined,
): Body =>
  Object.assign(
    { label, eventBody, base64, text },
    {
      [fc.toStringMethod]: () =>
        `${label}${base64 ? " (base64)" : ""}: ${JSON.stringify((text ?? eventBody ?? "").slice(0, 200))}`,
    },
  );
const textBody = (label: string, text: string, base64: boolean): Body =>
  body(label, base64 ? Buffer.from(text, "utf8").toString("base64") : text, base64, text);
const bytesBody = (label: string, bytes: Uint8Array): Body =>
  body(label, Buffer.from(bytes).toString("base64"), true, new TextDecoder().decode(bytes));

const baseHook = fc
  .record({
    minimal: fc.boolean(),
    jobId: fc.oneof(fc.integer({ min: 1, max: 2 ** 31 }), fc.constant(2 ** 53 - 1)),
    projectId: fc.constantFrom(380, 7, 42),
    status: fc.constantFrom(...STATUSES),
  })
  .map(({ minimal, jobId, projectId, status }) => {
    if (minimal) return minimalJobHook(jobId, status, projectId) as Record<string, unknown>;
    const hook = JSON.parse(DOCS_TEXT);
    Object.assign(hook, { build_id: jobId, project_id: projectId, build_status: status });
    hook.project.id = projectId;
    return hook as Record<string, unknown>;
  });

/** A real Job Hook (the documented one, or an old GitLab's four fields), changed `min`–`max` times. */
export const hookBody = (min: number, max: number): fc.Arbitrary<Body> =>
  fc
    .tuple(
      baseHook,
      fc.array(change, { minLength: min, maxLength: max }),
      fc.constantFrom(0, 2),
      fc.boolean(),
    )
    .map(([hook, changes, indent, base64]) => {
      for (const each of changes) applyChange(hook, each);
      return textBody(`hook: ${changes.map(shown).join("; ")}`, serialize(hook, indent), base64);
    });

// biome-ignore format: a table
const INVALID_UTF8 = [
  [0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98],
  [0xe2, 0x22], [0xf4, 0x90, 0x80, 0x80], [0x80],
];
const withBytes = (bad: readonly number[], inString: boolean) => {
  const at = inString ? DOCS_TEXT.indexOf('"test"') + 2 : DOCS_TEXT.indexOf("{") + 1;
  const bytes = Buffer.concat([
    Buffer.from(DOCS_TEXT.slice(0, at)),
    Buffer.from(bad),
    Buffer.from(DOCS_TEXT.slice(at)),
  ]);
  return bytesBody(
    `invalid UTF-8 ${bad.join(",")} ${inString ? "in a string" : "between fields"}`,
    bytes,
  );
};
// biome-ignore format: a table
const EDITED_DOCS = [
  `\uFEFF${DOCS_TEXT}`, `${DOCS_TEXT}x`, `${DOCS_TEXT}\n`,
  DOCS_TEXT.replace('"build_id":1977', '"build_id":1977,"build_id":"x"'),
  DOCS_TEXT.replace('"build_id":1977', '"build_id":"x","build_id":1977'),
  DOCS_TEXT.replace('"build_status":"created",', '"__proto__":{"build_status":"running"},'),
  Buffer.from(DOCS_TEXT).toString("base64"),
];
const SHAPES = [
  ["[", "]", ""],
  ['{"a":', "}", "1"],
  ["[", "", ""],
] as const;

/** Bodies that are barely a Job Hook or not at all. */
export const oddBody: fc.Arbitrary<Body> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("", "null", "true", "42", '"text"', "[]", "{}", "[{}]", " ", "\n{}\n"),
      fc.boolean(),
    )
    .map(([text, base64]) => textBody(`literal ${text}`, text, base64)),
  fc.constant(body("no body", undefined, false, "")),
  fc
    .nat({ max: DOCS_TEXT.length })
    .map((end) => textBody(`cut at ${end}`, DOCS_TEXT.slice(0, end), false)),
  fc.constantFrom(...EDITED_DOCS).map((text) => textBody("edited docs hook", text, false)),
  fc
    .tuple(
      // A hundred thousand levels (a parse of some milliseconds) now and then.
      fc.oneof({ arbitrary: fc.constantFrom(1_000, 10_000), weight: 9 }, fc.constant(100_000)),
      fc.constantFrom(...SHAPES),
    )
    .map(([depth, [open, close, inner]]) =>
      textBody(`nested ${depth} ${open}`, deep(depth, open, close, inner), false),
    ),
  fc
    .constantFrom(1_000, 10_000)
    .map((depth) =>
      textBody(
        `runner nested ${depth}`,
        serialize({ ...DOCS, runner: raw(deep(depth, "[", "]")) }, 0),
        false,
      ),
    ),
  fc.jsonValue().map((json) => textBody("random JSON", JSON.stringify(json) ?? "null", false)),
  unicode(200).map((text) => textBody("random text", text, false)),
  fc
    .tuple(fc.constantFrom(...INVALID_UTF8), fc.boolean())
    .map(([bad, inString]) => withBytes(bad, inString)),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => bytesBody("random bytes", bytes)),
  fc
    .string({ unit: fc.constantFrom(...'ABCxyz019+/=-_ \n!{}"é'), maxLength: 200 })
    .map((junk) => body("junk as base64", junk, true, undefined)),
);

/** The docs hook padded with an unknown field to `bytes` bytes, in characters of 1 to 4 bytes. */
export const sizedBody: fc.Arbitrary<Body> = fc
  .tuple(
    fc.oneof(
      {
        arbitrary: fc.constantFrom(MAX_BODY_BYTES - 1, MAX_BODY_BYTES, MAX_BODY_BYTES + 1),
        weight: 3,
      },
      {
        arbitrary: fc.integer({ min: MAX_BODY_BYTES - 4096, max: MAX_BODY_BYTES + 4096 }),
        weight: 3,
      },
      // Above what API Gateway (10 MB) and Lambda (6 MB) let through.
      fc.constantFrom(6 * 1024 * 1024 + 1, 10 * 1024 * 1024 + 1),
    ),
    fc.constantFrom("x", "é", "€", "𝄞"),
    fc.boolean(),
  )
  .map(([bytes, unit, base64]) => {
    const prefix = `${DOCS_TEXT.slice(0, -1)},"padding":"`;
    const room = Math.max(0, bytes - Buffer.byteLength(prefix) - 2);
    const unitBytes = Buffer.byteLength(unit);
    const padding = unit.repeat(Math.floor(room / unitBytes)) + "x".repeat(room % unitBytes);
    return textBody(`${bytes} bytes of ${unit}`, `${prefix}${padding}"}`, base64);
  });

// ---- Headers ----

// biome-ignore format: a table
export const VALID_CONTENT_TYPES = [
  "application/json", "application/json; charset=utf-8", "Application/JSON",
  "APPLICATION/JSON;charset=UTF-8", "application/json ; charset=utf-8", "application/json;",
];
// biome-ignore format: a table
export const INVALID_CONTENT_TYPES = [
  undefined, "", "text/plain", "application/x-www-form-urlencoded", "application/jsonp",
  "application/json-patch+json", "multipart/form-data; boundary=x", "json",
  "application/vnd.gitlab+json", "text/json", "application/ json",
];
// biome-ignore format: a table
const ODD_EVENTS = [
  undefined, "", "Push Hook", "Pipeline Hook", "System Hook", "job hook", "JOB HOOK", "Job Hook ",
  " Job Hook", "Build Hook", "Job Hook\u0000",
];

// biome-ignore format: a table
const TOKEN_KINDS = [
  "own", "previous", "group", "master", "other project", "missing", "empty", "padded", "suffixed",
  "upper", "doubled", "random",
] as const;
type TokenKind = (typeof TOKEN_KINDS)[number];
const ACCEPTABLE: readonly TokenKind[] = ["own", "previous", "group"];
// biome-ignore format: a table
const SIGNATURE_KINDS = [
  "valid", "previous key", "other key", "missing", "partial", "stale", "future", "tampered",
] as const;
export type SignatureKind = (typeof SIGNATURE_KINDS)[number];

export interface Headers {
  readonly token: TokenKind;
  readonly randomToken: string;
  readonly signature: SignatureKind;
  readonly event: string | undefined;
  readonly contentType: string | undefined;
  readonly idempotencyKey: string | undefined;
  readonly extra: readonly (readonly [string, string])[];
  readonly casing: "lower" | "canonical" | "upper" | "mixed";
}

// biome-ignore format: a table
const STANDARD = [
  "content-type", "user-agent", "x-gitlab-event", "x-gitlab-token", "x-gitlab-instance",
  "x-gitlab-webhook-uuid", "x-gitlab-event-uuid", "idempotency-key", "webhook-id",
  "webhook-timestamp", "webhook-signature",
];
const EXTRA_NAMES = [
  "x-forwarded-for",
  "x-amzn-trace-id",
  "__proto__",
  "constructor",
  "tostring",
  "hasownproperty",
  "authorization",
];
const extraHeaders = fc.uniqueArray(
  fc.tuple(
    fc
      .oneof(fc.constantFrom(...EXTRA_NAMES), fc.stringMatching(/^x-[a-z0-9-]{1,20}$/))
      .filter((name) => !STANDARD.includes(name)),
    fc.oneof(fc.string({ maxLength: 50 }), fc.constant("x".repeat(8_000))),
  ),
  { maxLength: 4, selector: ([name]) => name },
);

/** Headers as GitLab sends them (`odd: false`), or anything but. */
export const headers = ({
  tokens = TOKEN_KINDS,
  signatures = SIGNATURE_KINDS,
  odd = true,
}: {
  tokens?: readonly TokenKind[];
  signatures?: readonly SignatureKind[];
  odd?: boolean;
} = {}) => {
  const kinds = [
    tokens.filter((kind) => ACCEPTABLE.includes(kind)),
    tokens.filter((kind) => !ACCEPTABLE.includes(kind)),
  ];
  return fc.record<Headers>({
    // Half of them a token some mode accepts, so that the other headers are looked at too.
    token: fc.oneof(
      ...kinds.filter((some) => some.length > 0).map((some) => fc.constantFrom(...some)),
    ),
    randomToken: fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/).map((token) => `wrong-${token}`),
    signature: fc.constantFrom(...signatures),
    event: odd
      ? fc.oneof(
          { arbitrary: fc.constant("Job Hook"), weight: 4 },
          fc.constantFrom(...ODD_EVENTS),
          fc.string({ minLength: 1, maxLength: 30 }),
        )
      : fc.constant("Job Hook"),
    contentType: odd
      ? fc.oneof(
          { arbitrary: fc.constantFrom(...VALID_CONTENT_TYPES), weight: 4 },
          fc.constantFrom(...INVALID_CONTENT_TYPES),
          fc.string({ maxLength: 30 }),
        )
      : fc.constantFrom(...VALID_CONTENT_TYPES),
    idempotencyKey: fc.oneof(
      fc.uuid(),
      fc.constantFrom(undefined, "", "x".repeat(8_000), "../../etc/passwd", "🦊"),
      fc.string({ maxLength: 40 }),
    ),
    extra: odd ? extraHeaders : fc.constant([]),
    casing: fc.constantFrom("lower", "canonical", "upper", "mixed"),
  });
};

const withCasing = (name: string, casing: Headers["casing"]) => {
  if (casing === "upper") return name.toUpperCase();
  if (casing === "canonical")
    return name.replace(/(^|-)([a-z])/g, (_, dash, letter) => dash + letter.toUpperCase());
  if (casing === "mixed") return [...name].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("");
  return name;
};

/** The X-Gitlab-Token sent: with project tokens, derived for the project the payload claims (or 380). */
export const tokenSent = (mode: Mode, { token, randomToken }: Headers, payload: unknown) => {
  const project = claimedProject(payload) ?? 380;
  const own = mode === "project" ? projectToken(MASTER, project) : TEST_TOKEN;
  const tokens: Record<TokenKind, string | undefined> = {
    own,
    previous: mode === "project" ? projectToken(PREVIOUS_MASTER, project) : PREVIOUS_TOKEN,
    group: GROUP_TOKEN,
    master: MASTER,
    "other project": projectToken(MASTER, project + 1),
    missing: undefined,
    empty: "",
    padded: ` ${own}`,
    suffixed: `${own}x`,
    upper: own.toUpperCase(),
    doubled: `${own},${own}`,
    random: randomToken,
  };
  return tokens[token];
};

/** Standard Webhooks headers over `text`; a handler without a signing key gets look-alikes. */
const signatureFor = (mode: Mode, kind: SignatureKind, text: string): Record<string, string> => {
  const id = `msg_${randomUUID()}`;
  if (kind === "missing") return {};
  if (mode !== "signed")
    return { "webhook-id": id, "webhook-timestamp": "1780308000", "webhook-signature": "v1,AAAA" };
  const minutes = kind === "stale" ? -10 : kind === "future" ? 10 : 0;
  const at = new Date(Date.now() + minutes * 60_000);
  const others: Partial<Record<SignatureKind, string>> = {
    "previous key": PREVIOUS_SIGNING_KEY,
    "other key": OTHER_SIGNING_KEY,
  };
  const key = others[kind] ?? TEST_SIGNING_KEY;
  const signature = new Webhook(key).sign(id, at, kind === "tampered" ? `${text} ` : text);
  const timestamp = String(Math.floor(at.getTime() / 1000));
  if (kind === "partial") return { "webhook-id": id, "webhook-signature": signature };
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature };
};

/** The event's headers: what the spec says, signed now, names in the spec's casing. */
export const headerRecord = (mode: Mode, spec: Headers, payload: unknown, text: string) => {
  const entries: (readonly [string, string | undefined])[] = [
    ["content-type", spec.contentType],
    ["user-agent", "GitLab/17.6.0"],
    ["x-gitlab-event", spec.event],
    ["x-gitlab-token", tokenSent(mode, spec, payload)],
    ["x-gitlab-instance", "https://gitlab.example.com"],
    ["x-gitlab-webhook-uuid", randomUUID()],
    ["x-gitlab-event-uuid", randomUUID()],
    ["idempotency-key", spec.idempotencyKey],
    ...Object.entries(signatureFor(mode, spec.signature, text)),
    ...spec.extra,
  ];
  return Object.fromEntries(
    entries.flatMap(([name, header]) =>
      header === undefined ? [] : [[withCasing(name, spec.casing), header]],
    ),
  ) as Record<string, string>;
};
