import {
  acceptedTokens,
  type Body,
  type Headers,
  INVALID_CONTENT_TYPES,
  INVALID_TIMESTAMPS,
  isId,
  isRecord,
  MAX_BODY_BYTES,
  type Mode,
  STATUSES,
  tokenSent,
  VALID_CONTENT_TYPES,
  VALID_TIMESTAMPS,
} from "./webhook-requests";

/**
 * What a webhook request must come to, restated from the webhook's contract (the Job Hook schema
 * GitLab documents, the auth rules, the size cap) rather than read from its code. Where it cannot
 * tell (bytes it does not know, a timestamp it cannot judge) it says nothing, and only the
 * properties that hold for every request are checked.
 */

export interface Expected {
  readonly status?: number;
  /** false: nothing at all; otherwise the one job that must be stored. */
  readonly stores?:
    | false
    | { readonly jobId: number; readonly projectId: number; readonly status: string };
}

type Verdict = "valid" | "invalid" | "unsure";
/** Caps DynamoDB's 400 KB item needs (see MAX_JOB_HOOK_TEXT_LENGTH, _DURATION_SECONDS). */
const MAX_TEXT = 10_000;
const MAX_DURATION = 10 * 365 * 24 * 3600;

const when = (ok: boolean): Verdict => (ok ? "valid" : "invalid");
const nullish =
  (check: (field: unknown) => Verdict) =>
  (field: unknown): Verdict =>
    field == null ? "valid" : check(field);
const text = nullish((field) => when(typeof field === "string" && field.length <= MAX_TEXT));
const id = nullish((field) => when(isId(field)));
const timestamp = nullish((field) => {
  if (typeof field !== "string") return "invalid";
  if (VALID_TIMESTAMPS.includes(field)) return "valid";
  const dateLike = /^\d{4}-\d{2}-\d{2}/.test(field);
  return INVALID_TIMESTAMPS.includes(field) || !dateLike ? "invalid" : "unsure";
});
const duration = nullish((field) =>
  when(typeof field === "number" && field >= 0 && field <= MAX_DURATION),
);
/** An object field: like valibot's object(), any non-null object, arrays too. */
const object = (inner: (record: Record<string, unknown>) => Verdict) =>
  nullish((field) => (isRecord(field) ? inner(field) : "invalid"));

/** The Job Hook, field by field; only the first four are always there. */
const JOB_HOOK: Readonly<Record<string, (field: unknown) => Verdict>> = {
  object_kind: (field) => when(field === "build"),
  build_id: (field) => when(isId(field)),
  build_status: (field) => when(typeof field === "string" && field.length > 0),
  project_id: (field) => when(isId(field)),
  build_name: text,
  build_stage: text,
  ref: text,
  project_name: text,
  build_failure_reason: text,
  pipeline_id: id,
  project: object((project) => text(project.path_with_namespace)),
  runner: object((runner) => id(runner.id)),
  build_created_at: timestamp,
  build_started_at: timestamp,
  build_finished_at: timestamp,
  build_created_at_iso: timestamp,
  build_started_at_iso: timestamp,
  build_finished_at_iso: timestamp,
  build_queued_duration: duration,
  build_duration: duration,
  retries_count: nullish((field) => when(Number.isSafeInteger(field) && (field as number) >= 0)),
  build_allow_failure: nullish((field) => when(typeof field === "boolean")),
};

const judge = (payload: unknown): Verdict | "unknown_status" => {
  if (!isRecord(payload)) return "invalid";
  const verdicts = Object.entries(JOB_HOOK).map(([field, check]) => check(payload[field]));
  if (verdicts.includes("invalid")) return "invalid";
  if (verdicts.includes("unsure")) return "unsure";
  return STATUSES.includes(payload.build_status as string) ? "valid" : "unknown_status";
};

/** Over the cap in bytes as GitLab sent them (a UTF-16 unit is at least one byte). */
const tooLarge = (text: string) =>
  text.length > MAX_BODY_BYTES || new TextEncoder().encode(text).length > MAX_BODY_BYTES;

const parsed = new WeakMap<Body, { value: unknown } | undefined>();
/** The body's JSON, parsed once per body (some are megabytes); undefined when it is none. */
export const payloadOf = (body: Body): { value: unknown } | undefined => {
  if (!parsed.has(body)) {
    let json: { value: unknown } | undefined;
    try {
      if (body.text !== undefined && !tooLarge(body.text)) json = { value: JSON.parse(body.text) };
    } catch {
      json = undefined;
    }
    parsed.set(body, json);
  }
  return parsed.get(body);
};

const contentTypeOk = (type: string | undefined): boolean | undefined => {
  if (VALID_CONTENT_TYPES.includes(type ?? "")) return true;
  if (INVALID_CONTENT_TYPES.includes(type) || !/^application\/json/i.test(type ?? "")) return false;
  return undefined;
};

/** In the documented order: size, authentication, event, content type, body. */
export const expected = (mode: Mode, spec: Headers, body: Body): Expected => {
  const refused = { status: 401, stores: false } as const;
  if (body.text === undefined) {
    // Shared tokens do not depend on the body: a wrong one is refused whatever it holds.
    const token = tokenSent(mode, spec, undefined);
    return mode !== "project" && !acceptedTokens(mode, undefined).includes(token ?? "")
      ? refused
      : {};
  }
  if (tooLarge(body.text)) return { status: 413, stores: false };
  const json = payloadOf(body);
  const token = tokenSent(mode, spec, json?.value);
  if (token === undefined || !acceptedTokens(mode, json?.value).includes(token)) return refused;
  if (mode === "signed" && spec.signature !== "valid" && spec.signature !== "previous key")
    return refused;
  if (!spec.event) return { status: 400, stores: false };
  if (spec.event !== "Job Hook") return { status: 200, stores: false };
  const typeOk = contentTypeOk(spec.contentType);
  if (typeOk === undefined) return {};
  if (!typeOk) return { status: 415, stores: false };
  if (!json) return { status: 400, stores: false };
  const verdict = judge(json.value);
  if (verdict === "invalid") return { status: 422, stores: false };
  if (verdict === "unknown_status") return { status: 200, stores: false };
  if (verdict === "unsure") return {};
  const hook = json.value as { build_id: number; project_id: number; build_status: string };
  return {
    status: 200,
    stores: { jobId: hook.build_id, projectId: hook.project_id, status: hook.build_status },
  };
};
