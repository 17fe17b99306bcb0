import {
  GitLabApiError,
  GitLabRestClient,
  historyBudget,
  readJobHistory,
  stagePositions,
} from "@ger/core";
import type { HistoryJob } from "@ger/core/types";
import { formatTrace, type TraceJob } from "@ger/simulator";
import { UsageError } from "../table-target";

export interface ImportTraceOptions {
  readonly project?: string;
  readonly since?: string;
  readonly until?: string;
}

/** Where the summary goes, and the rate budget's clock: a test brings its own. */
export interface ImportTraceIo {
  readonly stderr?: NodeJS.WritableStream;
  readonly now?: () => number;
  readonly wait?: (ms: number) => Promise<unknown>;
}

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

const optionalDate = (value: string | undefined, option: string): Date | undefined => {
  if (value === undefined) return undefined;
  const millis = DATE.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(millis))
    throw new UsageError(
      `--${option} must be a date (2099-11-23, from midnight UTC) or an ISO 8601 time with a time zone, got '${value}'`,
    );
  return new Date(millis);
};

const projectId = (value: string | undefined): number => {
  const id = Number(value);
  if (!value || !/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1)
    throw new UsageError(
      `import-trace needs --project ID, the project's numeric id${value ? `, got '${value}'` : ""}`,
    );
  return id;
};

/** What GitLab's refusals mean for this command. */
const explained = (error: unknown, project: number): unknown => {
  if (!(error instanceof GitLabApiError)) return error;
  const meaning: Record<number, string> = {
    401: "GitLab refused GITLAB_TOKEN (401 Unauthorized): is it valid and unexpired?",
    403: `GITLAB_TOKEN may not read project ${project}'s jobs (403): it needs read_api and at least Reporter`,
    404: `GitLab has no project ${project}, or GITLAB_TOKEN cannot see it (404)`,
  };
  const text = meaning[error.status];
  return text ? new Error(text, { cause: error }) : error;
};

/** A job as the trace replays it: created with its pipeline, for as long as it ran. */
const traceJob = (job: HistoryJob, project: number, stage: number): TraceJob => ({
  jobId: job.id,
  projectId: project,
  createdAt: job.createdAt,
  durationS: Math.round(job.durationS ?? 0),
  tags: job.tagList,
  pipelineId: job.pipelineId,
  stage,
  name: job.name,
});

/**
 * `import-trace --project ID [--since DATE] [--until DATE]`: the project's finished jobs from
 * GitLab (GITLAB_URL, GITLAB_TOKEN) as a trace on `out`; jobs that never ran are left out.
 */
export const runImportTrace = async (
  options: ImportTraceOptions,
  out: NodeJS.WritableStream = process.stdout,
  { stderr = process.stderr, now, wait }: ImportTraceIo = {},
): Promise<void> => {
  const project = projectId(options.project);
  const since = optionalDate(options.since, "since");
  const until = optionalDate(options.until, "until");
  if (since && until && since >= until) throw new UsageError("--since must be before --until");
  const { GITLAB_URL: baseUrl, GITLAB_TOKEN: token } = process.env;
  if (!baseUrl || !token)
    throw new UsageError("import-trace reads GitLab at GITLAB_URL with GITLAB_TOKEN: set both");
  const gitlab = new GitLabRestClient({
    baseUrl,
    token: async () => token,
    budget: historyBudget(undefined, now, wait),
    // A batch may wait out a 429 (GitLab's limits reset each minute) rather than stop.
    maxAttempts: 5,
    maxRetryAfterSeconds: 60,
  });
  let history: HistoryJob[];
  try {
    history = await readJobHistory(gitlab, project, { since, until });
  } catch (error) {
    throw explained(error, project);
  }
  const ran = history.filter((job) => job.durationS !== undefined);
  const stages = stagePositions(ran);
  const jobs = ran.map((job) => traceJob(job, project, stages.get(job.id) ?? 0));
  // A trace without jobs is one the simulator refuses: say so here instead.
  if (jobs.length === 0)
    throw new Error(`project ${project} has no finished jobs that ran in that time`);
  out.write(formatTrace(jobs));
  const pipelines = new Set(jobs.map((job) => job.pipelineId)).size;
  stderr.write(
    `import-trace: ${jobs.length} jobs of ${pipelines} pipelines from project ${project}; ${history.length - ran.length} that never ran left out\n`,
  );
};
