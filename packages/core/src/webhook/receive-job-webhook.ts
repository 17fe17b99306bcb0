import { parseJobHook } from "../jobs/job-hook";
import { durationSampleOf, pipelineHaltOf, pipelineRetryOf } from "../lookahead/learn-from-hook";
import type { Clock } from "../ports/clock";
import type { DemandStore } from "../ports/demand-store";
import type { JobDurations } from "../ports/job-durations";
import type { WebhookCredentialsSource } from "../ports/webhook-credentials-source";
import { type AuthResult, authenticate } from "./authenticate";
import { claimedProjectId } from "./claimed-project";
import type { WebhookCredentials } from "./credentials";
import type { WebhookOutcome } from "./webhook-outcome";

/** A webhook request as any transport delivers it: header names lower-case, body as received. */
export interface WebhookRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

export interface WebhookDependencies {
  readonly credentials: WebhookCredentialsSource;
  readonly demand: DemandStore;
  /** Where successful jobs' durations are kept for pipeline lookahead. */
  readonly durations: JobDurations;
  readonly clock: Clock;
}

/** GitLab allows 25 MB; a Job Hook is a few KiB, so anything near this cap is not one. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

const JOB_HOOK_EVENT = "Job Hook";
const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

type ParsedBody = { ok: true; value: unknown } | { ok: false; message: string };

const authenticateWithRotation = async (
  source: WebhookCredentialsSource,
  request: WebhookRequest,
  claimedProjectId: number | undefined,
): Promise<AuthResult> => {
  const check = (credentials: WebhookCredentials) =>
    authenticate(credentials, request.headers, request.body, claimedProjectId);
  const result = check(await source.current());
  if (result.kind === "authenticated") return result;
  if (result.reason !== "invalid_token" && result.reason !== "invalid_signature") return result;
  // A mismatch may mean the secret was rotated since we cached it: look once more.
  const fresh = await source.refreshed();
  return fresh ? check(fresh) : result;
};

const parseJson = (body: string): ParsedBody => {
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    return { ok: false, message: `body is not valid JSON: ${(error as Error).message}` };
  }
};

/** What an authenticated request says: the event it records, or why it records none. */
const judgeAuthenticated = async (
  request: WebhookRequest,
  json: ParsedBody,
  deps: WebhookDependencies,
  receivedAt: Date,
): Promise<WebhookOutcome> => {
  const eventName = request.headers["x-gitlab-event"];
  if (!eventName) {
    return {
      kind: "rejected",
      reason: "missing_event_header",
      message: "X-Gitlab-Event header is required",
    };
  }
  if (eventName !== JOB_HOOK_EVENT)
    return { kind: "ignored", reason: "not_a_job_event", detail: eventName };

  const contentType = request.headers["content-type"] ?? "";
  if (!JSON_MEDIA_TYPE.test(contentType)) {
    const message = `content type must be application/json, got '${contentType || "none"}'`;
    return { kind: "rejected", reason: "unsupported_media_type", message };
  }
  if (!json.ok) return { kind: "rejected", reason: "malformed_json", message: json.message };

  const hook = parseJobHook(json.value);
  if (hook.kind === "invalid") {
    const message = "not a valid Job Hook payload";
    return { kind: "rejected", reason: "invalid_job_hook", message, issues: hook.issues };
  }
  if (hook.kind === "unknown_status") {
    return {
      kind: "ignored",
      reason: "unknown_status",
      detail: `job ${hook.jobId}: '${hook.status}'`,
    };
  }
  const { event } = hook;
  const failed: string[] = [];
  // The halt is noted whatever the job's record says: a repeat of it is harmless.
  const halt = pipelineHaltOf(event, receivedAt);
  const [outcome] = await Promise.all([
    deps.demand.recordJobEvent(event, receivedAt),
    deps.demand.noteProjectActivity(event.projectId, receivedAt),
    halt && bestEffort("halt", deps.demand.notePipelineHalt(halt), failed),
  ]);
  // Once per job: a duplicate hook changes no record, adds no sample and lifts nothing.
  const recorded = outcome.kind === "recorded";
  const sample = recorded ? durationSampleOf(event) : undefined;
  const retry = recorded ? pipelineRetryOf(event) : undefined;
  await Promise.all([
    sample &&
      bestEffort(
        "duration",
        deps.durations.recordDuration(sample.key, sample.seconds, receivedAt),
        failed,
      ),
    retry && bestEffort("lift", deps.demand.liftPipelineHalt(retry), failed),
  ]);
  const lookahead = failed.length > 0 ? { lookaheadFailures: failed } : {};
  return outcome.kind === "recorded"
    ? {
        kind: "recorded",
        event,
        ...(outcome.previousStatus && { previousStatus: outcome.previousStatus }),
        ...lookahead,
      }
    : { kind: "unchanged", event, currentStatus: outcome.currentStatus, ...lookahead };
};

/**
 * Lookahead's own writes: one that fails costs an estimate, not the job's record, and answering
 * GitLab 500 would not make it send the hook again (it disables hooks that keep failing).
 */
const bestEffort = async (what: string, write: Promise<unknown>, failed: string[]) => {
  try {
    await write;
  } catch (error) {
    failed.push(`${what}: ${error instanceof Error ? `${error.name}: ${error.message}` : error}`);
  }
};

/** Authenticates one GitLab webhook and records the job event it carries. */
export const receiveJobWebhook = async (
  request: WebhookRequest,
  deps: WebhookDependencies,
): Promise<WebhookOutcome> => {
  const receivedAt = deps.clock.now();
  if (Buffer.byteLength(request.body, "utf8") > MAX_WEBHOOK_BODY_BYTES) {
    const message = `body exceeds ${MAX_WEBHOOK_BODY_BYTES} bytes`;
    return { kind: "rejected", reason: "payload_too_large", message };
  }
  // Parsed once, before authentication but after the size cap: a project's token is checked
  // against the project this very parse claims, and the same parse is what gets recorded.
  const json = parseJson(request.body);
  const auth = await authenticateWithRotation(
    deps.credentials,
    request,
    json.ok ? claimedProjectId(json.value) : undefined,
  );
  if (auth.kind === "unauthorized") return auth;
  const outcome = await judgeAuthenticated(request, json, deps, receivedAt);
  return { ...outcome, credential: auth.credential };
};
