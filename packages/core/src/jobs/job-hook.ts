import { z } from "zod";
import type { JobEvent } from "./job-event";
import { JOB_STATUSES, type JobStatus } from "./job-status";
import { parseGitlabTimestamp } from "./timestamps";

// JSON numbers above 2^53 lose digits silently; GitLab ids are far below, so refuse rather than guess.
const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const text = z.string().nullish();
const timestamp = z
  .string()
  .nullish()
  .refine((value) => value == null || parseGitlabTimestamp(value) !== undefined, {
    message: "not a GitLab timestamp (ISO 8601 or 'YYYY-MM-DD hh:mm:ss UTC')",
  });

// Only object_kind, build_id, build_status and project_id are always present: older GitLab omits the rest.
const jobHookSchema = z.object({
  object_kind: z.literal("build"),
  build_id: id,
  build_status: z.string().min(1),
  project_id: id,
  build_name: text,
  build_stage: text,
  ref: text,
  pipeline_id: id.nullish(),
  project_name: text,
  project: z.object({ path_with_namespace: text }).nullish(),
  build_created_at: timestamp,
  build_started_at: timestamp,
  build_finished_at: timestamp,
  build_created_at_iso: timestamp,
  build_started_at_iso: timestamp,
  build_finished_at_iso: timestamp,
  build_queued_duration: z.number().nonnegative().nullish(),
  build_duration: z.number().nonnegative().nullish(),
  retries_count: z.number().int().nonnegative().nullish(),
  build_allow_failure: z.boolean().nullish(),
  build_failure_reason: text,
  runner: z.object({ id: id.nullish() }).nullish(),
});

type JobHook = z.infer<typeof jobHookSchema>;

export type JobHookParseResult =
  | { readonly kind: "job"; readonly event: JobEvent }
  /** A status this version does not know: GitLab added one. Ignored, never an error, so the hook stays enabled. */
  | { readonly kind: "unknown_status"; readonly jobId: number; readonly status: string }
  | { readonly kind: "invalid"; readonly issues: readonly string[] };

const isJobStatus = (status: string): status is JobStatus =>
  (JOB_STATUSES as readonly string[]).includes(status);

const firstTimestamp = (...values: (string | null | undefined)[]): string | undefined => {
  for (const value of values) {
    if (value != null) return parseGitlabTimestamp(value);
  }
  return undefined;
};

const definedOnly = <T extends object>(record: T): T =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value != null)) as T;

const toJobEvent = (hook: JobHook, status: JobStatus): JobEvent =>
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

const describeIssue = (issue: z.core.$ZodIssue): string =>
  `${issue.path.length > 0 ? issue.path.join(".") : "(body)"}: ${issue.message}`;

/** Validates a parsed Job Hook body and maps it to a JobEvent. Never throws. */
export const parseJobHook = (payload: unknown): JobHookParseResult => {
  const parsed = jobHookSchema.safeParse(payload);
  if (!parsed.success) return { kind: "invalid", issues: parsed.error.issues.map(describeIssue) };
  const hook = parsed.data;
  if (!isJobStatus(hook.build_status)) {
    return { kind: "unknown_status", jobId: hook.build_id, status: hook.build_status };
  }
  return { kind: "job", event: toJobEvent(hook, hook.build_status) };
};
