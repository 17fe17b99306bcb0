import { TokenBucket } from "../../rate-limit/token-bucket";
import type { GitLabRestClient } from "./rest-client";

/** A finished job as GET /projects/:id/jobs lists it: what a trace of a team's history is made of. */
export interface HistoryJob {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  /** Its stage's name; GitLab does not say the stage's place in the pipeline (see stagePositions). */
  readonly stage: string;
  readonly tagList: readonly string[];
  readonly pipelineId: number;
  readonly createdAt: Date;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  /** Seconds it ran; absent for a job that never ran (canceled or failed before a runner took it). */
  readonly durationS?: number;
  /** Seconds it waited for a runner. */
  readonly queuedDurationS?: number;
}

/** Which jobs, by creation: from `since` (included) to `until` (excluded). */
export interface HistoryWindow {
  readonly since?: Date;
  readonly until?: Date;
}

interface ListedJob {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly stage: string;
  readonly tag_list?: string[];
  readonly created_at: string;
  readonly started_at?: string | null;
  readonly finished_at?: string | null;
  readonly duration?: number | null;
  readonly queued_duration?: number | null;
  readonly pipeline: { readonly id: number };
}

/**
 * GitLab.com allows a user 2,000 API requests a minute (self-managed: the same by default), and
 * the control plane's client may spend 600 of them on the same token: an import takes 300,
 * leaving most of the budget to the control plane and the team's own tools.
 */
export const HISTORY_REQUESTS_PER_MINUTE = 300;

/** `perMinute` requests evenly spaced (no burst): never more than that in any minute. */
export const historyBudget = (
  perMinute: number = HISTORY_REQUESTS_PER_MINUTE,
  now?: () => number,
  wait?: (ms: number) => Promise<unknown>,
): TokenBucket => new TokenBucket(perMinute / 60, 1, now, wait);

const FINISHED = "scope[]=success&scope[]=failed&scope[]=canceled";
const optionalDate = (value: string | null | undefined) => (value ? new Date(value) : undefined);

const historyJob = (job: ListedJob): HistoryJob => {
  const startedAt = optionalDate(job.started_at);
  const finishedAt = optionalDate(job.finished_at);
  return {
    id: job.id,
    name: job.name,
    status: job.status,
    stage: job.stage,
    tagList: job.tag_list ?? [],
    pipelineId: job.pipeline.id,
    createdAt: new Date(job.created_at),
    ...(startedAt && { startedAt }),
    ...(finishedAt && { finishedAt }),
    ...(typeof job.duration === "number" && { durationS: job.duration }),
    ...(typeof job.queued_duration === "number" && { queuedDurationS: job.queued_duration }),
  };
};

/**
 * A project's finished jobs (success, failed, canceled) created within the window, oldest first.
 * Offset pages of 100 by x-next-page, as rest-client reads every listing; GitLab.com refuses
 * offsets above 50,000 jobs, so a longer history is imported in windows (--since/--until).
 */
export const readJobHistory = async (
  gitlab: Pick<GitLabRestClient, "requestPage">,
  projectId: number,
  { since, until }: HistoryWindow = {},
): Promise<HistoryJob[]> => {
  const byId = new Map<number, HistoryJob>();
  const path = `/projects/${projectId}/jobs?${FINISHED}`;
  for (let page: number | undefined = 1; page !== undefined; ) {
    const listed: { items: ListedJob[]; nextPage?: number } = await gitlab.requestPage<ListedJob>(
      path,
      page,
      100,
    );
    const jobs = listed.items.map(historyJob);
    // Jobs that finish while the pages are read push the others down: one may be listed twice.
    for (const job of jobs)
      if ((!since || job.createdAt >= since) && (!until || job.createdAt < until))
        byId.set(job.id, job);
    // Newest first: past a job older than `since`, every later page is older still.
    const oldest = jobs.at(-1);
    if (since && oldest && oldest.createdAt < since) break;
    page = listed.nextPage;
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
};

/**
 * Each job's stage position in its pipeline, 0 first, by job id. GitLab's jobs API names a job's
 * stage but not its place (the `stages:` order of .gitlab-ci.yml is in no job listing), and a
 * pipeline creates all its jobs at once, so creation times do not order stages either. GitLab
 * starts a stage only once the earlier ones have finished, so stages are ordered by the earliest
 * start among their jobs, ties by name. (A job with `needs:` may start early; its stage then
 * moves up, as its jobs did.)
 */
export const stagePositions = (jobs: readonly HistoryJob[]): Map<number, number> => {
  const firstStart = new Map<number, Map<string, number>>();
  for (const job of jobs) {
    const stages = firstStart.get(job.pipelineId) ?? new Map<string, number>();
    const start = (job.startedAt ?? job.createdAt).getTime();
    stages.set(job.stage, Math.min(start, stages.get(job.stage) ?? start));
    firstStart.set(job.pipelineId, stages);
  }
  const position = new Map<number, Map<string, number>>();
  for (const [pipelineId, stages] of firstStart) {
    const ordered = [...stages].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0));
    position.set(pipelineId, new Map(ordered.map(([stage], index) => [stage, index])));
  }
  return new Map(jobs.map((job) => [job.id, position.get(job.pipelineId)?.get(job.stage) ?? 0]));
};
