import * as v from "valibot";
import type { JobEvent } from "./job-event";
import { type GitlabJobStatus, isGitlabJobStatus } from "./job-status";
import { parseGitlabTimestamp } from "./timestamps";

// JSON numbers above 2^53 lose digits silently; GitLab ids are far below, so refuse rather than guess.
const id = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
/**
 * Far above anything GitLab sends (job names and stages are at most 255 characters), and low
 * enough that the five texts of a job stay well inside DynamoDB's 400 KB item: a longer one would
 * fail the write with a 500, which GitLab retries.
 */
export const MAX_JOB_HOOK_TEXT_LENGTH = 10_000;
const text = v.nullish(v.pipe(v.string(), v.maxLength(MAX_JOB_HOOK_TEXT_LENGTH)));
const timestamp = v.nullish(
  v.pipe(
    v.string(),
    v.check(
      (value) => parseGitlabTimestamp(value) !== undefined,
      "not a GitLab timestamp (ISO 8601 or 'YYYY-MM-DD hh:mm:ss UTC')",
    ),
  ),
);
/** Ten years: a queued or running time beyond it is no job's. */
export const MAX_JOB_HOOK_DURATION_SECONDS = 10 * 365 * 24 * 3600;
/**
 * Seconds, kept to the microsecond GitLab measures: DynamoDB stores no number beyond 2^53 (the
 * document client refuses it), nor infinite (`1e400` parses to Infinity), nor below 1e-130.
 */
const duration = v.nullish(
  v.pipe(
    v.number(),
    v.minValue(0),
    v.maxValue(MAX_JOB_HOOK_DURATION_SECONDS),
    v.transform((seconds) => Math.round(seconds * 1e6) / 1e6),
  ),
);

// Only object_kind, build_id, build_status and project_id are always present: older GitLab omits the rest.
const jobHookSchema = v.object({
  object_kind: v.literal("build"),
  build_id: id,
  build_status: v.pipe(v.string(), v.minLength(1)),
  project_id: id,
  build_name: text,
  build_stage: text,
  ref: text,
  pipeline_id: v.nullish(id),
  project_name: text,
  project: v.nullish(v.object({ path_with_namespace: text })),
  build_created_at: timestamp,
  build_started_at: timestamp,
  build_finished_at: timestamp,
  build_created_at_iso: timestamp,
  build_started_at_iso: timestamp,
  build_finished_at_iso: timestamp,
  build_queued_duration: duration,
  build_duration: duration,
  retries_count: v.nullish(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
  build_allow_failure: v.nullish(v.boolean()),
  build_failure_reason: text,
  runner: v.nullish(v.object({ id: v.nullish(id) })),
});

type JobHook = v.InferOutput<typeof jobHookSchema>;

export type JobHookParseResult =
  | { readonly kind: "job"; readonly event: JobEvent }
  /**
   * A status this version does not know as GitLab's: GitLab added one, or a payload claims one of
   * ours (`not_visible`). Ignored, never an error, so the hook stays enabled.
   */
  | { readonly kind: "unknown_status"; readonly jobId: number; readonly status: string }
  | { readonly kind: "invalid"; readonly issues: readonly string[] };

const firstTimestamp = (...values: (string | null | undefined)[]): string | undefined => {
  for (const value of values) {
    if (value != null) return parseGitlabTimestamp(value);
  }
  return undefined;
};

const definedOnly = <T extends object>(record: T): T =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value != null)) as T;

const toJobEvent = (hook: JobHook, status: GitlabJobStatus): JobEvent =>
  definedOnly({
    jobId: hook.build_id,
    projectId: hook.project_id,
    status,
    name: hook.build_name ?? undefined,
    stage: hook.build_stage ?? undefined,
    ref: hook.ref ?? undefined,
    pipelineId: hook.pipeline_id ?? undefined,
    projectPath: hook.project?.path_with_namespace ?? hook.project_name ?? undefined,
    createdAt: firstTimestamp(hook.build_created_at_iso, hook.build_created_at),
    startedAt: firstTimestamp(hook.build_started_at_iso, hook.build_started_at),
    finishedAt: firstTimestamp(hook.build_finished_at_iso, hook.build_finished_at),
    queuedDurationSeconds: hook.build_queued_duration ?? undefined,
    durationSeconds: hook.build_duration ?? undefined,
    retriesCount: hook.retries_count ?? undefined,
    runnerId: hook.runner?.id ?? undefined,
    allowFailure: hook.build_allow_failure ?? undefined,
    failureReason: hook.build_failure_reason ?? undefined,
  });

const describeIssue = (issue: v.BaseIssue<unknown>): string =>
  `${v.getDotPath(issue) ?? "(body)"}: ${issue.message}`;

/** Validates a parsed Job Hook body and maps it to a JobEvent. Never throws. */
export const parseJobHook = (payload: unknown): JobHookParseResult => {
  const parsed = v.safeParse(jobHookSchema, payload);
  if (!parsed.success) return { kind: "invalid", issues: parsed.issues.map(describeIssue) };
  const hook = parsed.output;
  if (!isGitlabJobStatus(hook.build_status)) {
    return { kind: "unknown_status", jobId: hook.build_id, status: hook.build_status };
  }
  return { kind: "job", event: toJobEvent(hook, hook.build_status) };
};
