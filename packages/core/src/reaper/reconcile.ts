import { mapWithConcurrency } from "../concurrency";
import { GitLabApiError } from "../errors";
import { runnerOf } from "../jobs/job-event";
import { type JobRecord, jobEventOf } from "../jobs/job-record";
import { isGitlabJobStatus } from "../jobs/job-status";
import { recordNotVisible } from "../jobs/not-visible";
import { PROJECT_ACTIVITY_WINDOW_SECONDS } from "../jobs/project-activity";
import { MetricName, type MetricPoint } from "../metrics";
import type { Clock } from "../ports/clock";
import type { DemandStore } from "../ports/demand-store";
import type { HooksApi, JobsApi } from "../ports/gitlab";
import { resumeDueRetries } from "../runners/interrupted-retry";

export interface ReconcileDependencies {
  readonly demand: DemandStore;
  readonly jobsApi: JobsApi;
  readonly clock: Clock;
  /**
   * Our webhook's URL and a way to read hooks: lets the watchdog see a disabled hook. `groupIds`
   * are the groups whose group hooks are read every pass (the group pools' groups).
   */
  readonly webhook?: {
    readonly url: string;
    readonly hooks: HooksApi;
    readonly groupIds?: readonly number[];
  };
}

export interface ReconcileLimits {
  /** Projects asked per pass, most recently active first. */
  readonly projectsPerPass: number;
  /** Pending jobs read per project: its oldest, the likeliest lost. */
  readonly jobsPerProject: number;
  /** Listing requests per project at most (see PendingJobsPaging.maxPages). */
  readonly listingPagesPerProject: number;
  /** Jobs we believe pending that GitLab no longer lists, confirmed one by one per pass. */
  readonly confirmationsPerPass: number;
  /** No hook for this long while GitLab has pending jobs: the webhook is probably broken. */
  readonly webhookSilenceSeconds: number;
  /** Projects whose hook settings are read per pass, most recently active first. */
  readonly hookChecksPerPass: number;
  /** A project that sent a hook more recently than this has a working one: its hooks are not read. */
  readonly hookCheckAfterSeconds: number;
}

export const DEFAULT_RECONCILE_LIMITS: ReconcileLimits = {
  projectsPerPass: 25,
  jobsPerProject: 100,
  listingPagesPerProject: 10,
  confirmationsPerPass: 50,
  webhookSilenceSeconds: 900,
  hookChecksPerPass: 3,
  hookCheckAfterSeconds: 300,
};

/** GitLab delivers a hook within seconds of the change; a job younger than this may have one coming. */
const HOOK_IN_FLIGHT_SECONDS = 30;

/** A project hook (projectId) or a group hook (groupId) of ours that GitLab disabled. */
export type DisabledHook = (
  | { readonly projectId: number; readonly groupId?: undefined }
  | { readonly groupId: number; readonly projectId?: undefined }
) & {
  readonly alertStatus: string;
  readonly disabledUntil?: string;
};

export interface ReconcileReport {
  readonly projectsChecked: number;
  /** Pending jobs GitLab has that no hook told us about: now recorded, so the scaler serves them. */
  readonly lostJobsRecorded: readonly number[];
  /** Jobs we believed pending that GitLab had finished or started: now recorded as such. */
  readonly staleJobsClosed: readonly number[];
  /** Jobs we believed pending that GitLab answered 404 for: now recorded as `not_visible`. */
  readonly jobsNotVisible: readonly number[];
  readonly gitlabPendingJobs: number;
  /** Seconds since the last Job Hook from any active project (undefined: none in the window). */
  readonly lastHookAgeSeconds?: number;
  /** Projects whose hook to us GitLab has disabled (it stops sending after repeated failures). */
  readonly disabledHooks: readonly DisabledHook[];
  /**
   * Retries made for jobs a spot interruption killed whose first attempt was cut short (a crash,
   * GitLab failing): the new jobs' ids. And how many GitLab refused: retried already, or gone.
   */
  readonly retriesResumed: readonly number[];
  readonly retriesRefused: number;
  /** GitLab has pending jobs but no hook came for longer than allowed, hooks were lost, or disabled. */
  readonly webhookSuspect: boolean;
  readonly rateLimited: boolean;
}

/**
 * GitLab never redelivers a failed hook and drops rate-limited ones, so demand is checked against
 * its API: pending jobs of recently active projects that we never heard of are recorded (which
 * wakes the scaler), and jobs we still think pending but GitLab has moved on are closed. Retries
 * owed after spot interruptions whose first attempt was cut short are made.
 */
export const reconcileDemand = async (
  deps: ReconcileDependencies,
  limits: ReconcileLimits = DEFAULT_RECONCILE_LIMITS,
): Promise<ReconcileReport> => {
  const now = deps.clock.now();
  const since = new Date(now.getTime() - PROJECT_ACTIVITY_WINDOW_SECONDS * 1000);
  const projects = (await deps.demand.listActiveProjects(since))
    .sort((a, b) => b.lastJobEventAt.localeCompare(a.lastJobEventAt))
    .slice(0, limits.projectsPerPass);
  // First, whatever GitLab's listings answer: they are few, and each has a job waiting on it.
  const retries = await resumeDueRetries(deps);
  const ours = await deps.demand.listPendingJobs(now);
  const known = new Set(ours.map((job) => job.jobId));
  const lostJobsRecorded: number[] = [];
  const stale: JobRecord[] = [];
  let gitlabPendingJobs = 0;
  let rateLimited = false;

  await mapWithConcurrency(projects, 4, async ({ projectId }) => {
    if (rateLimited) return;
    let pending: Awaited<ReturnType<JobsApi["listPendingJobs"]>>;
    try {
      pending = await deps.jobsApi.listPendingJobs(projectId, limits.jobsPerProject, {
        maxPages: limits.listingPagesPerProject,
      });
    } catch (error) {
      if (!(error instanceof GitLabApiError) || !error.retryable) throw error;
      rateLimited ||= error.status === 429;
      return;
    }
    gitlabPendingJobs += pending.length;
    for (const job of pending.filter((candidate) => !known.has(candidate.id))) {
      const outcome = await deps.demand.recordJobEvent(
        { jobId: job.id, projectId, status: "pending" },
        now,
        { tags: job.tagList },
      );
      if (outcome.kind === "recorded") lostJobsRecorded.push(job.id);
    }
    // Only a complete listing proves a job is no longer pending; and a job that became pending
    // moments ago was likely just taken by a runner whose running hook is on its way: it is
    // confirmed on a later pass if it is still unheard of, which saves a GitLab call per job.
    if (pending.length < limits.jobsPerProject) {
      const listed = new Set(pending.map((job) => job.id));
      const settled = now.getTime() - HOOK_IN_FLIGHT_SECONDS * 1000;
      stale.push(
        ...ours.filter(
          (job) =>
            job.projectId === projectId &&
            !listed.has(job.jobId) &&
            Date.parse(job.updatedAt) < settled,
        ),
      );
    }
  });

  const staleJobsClosed: number[] = [];
  const jobsNotVisible: number[] = [];
  // Jobs found stale in the listings that answered are confirmed even after another project's
  // listing drew a 429: skipping them would let stale demand pile up while GitLab is busy. The
  // first throttled confirmation ends them for this pass.
  for (const job of stale.slice(0, limits.confirmationsPerPass)) {
    let current: Awaited<ReturnType<JobsApi["getJob"]>>;
    try {
      current = await deps.jobsApi.getJob(job.projectId, job.jobId);
    } catch (error) {
      if (!(error instanceof GitLabApiError) || !error.retryable) throw error;
      rateLimited ||= error.status === 429;
      break;
    }
    if (!current) {
      const outcome = await recordNotVisible(deps.demand, job, now);
      if (outcome.kind === "recorded") jobsNotVisible.push(job.jobId);
      continue;
    }
    const { status } = current;
    if (status === "pending" || !isGitlabJobStatus(status)) continue;
    // With the runner that took it, so the stream tells the scaler that runner is busy: the hook
    // saying so, on its way, will find the job recorded already and change nothing.
    const outcome = await deps.demand.recordJobEvent(
      { ...jobEventOf(job), status, ...runnerOf(current) },
      now,
    );
    if (outcome.kind === "recorded") staleJobsClosed.push(job.jobId);
  }

  const quietSince = now.getTime() - limits.hookCheckAfterSeconds * 1000;
  const quietProjects = projects.filter(
    (project) => Date.parse(project.lastJobEventAt) < quietSince,
  );
  const disabledHooks = rateLimited
    ? []
    : [
        ...(await findDisabledHooks(deps, poolGroups(deps))),
        ...(await findDisabledHooks(
          deps,
          inTurn(quietProjects, limits.hookChecksPerPass, now).map(({ projectId }) => ({
            projectId,
          })),
        )),
      ];
  const lastHook = projects
    .map((project) => Date.parse(project.lastJobEventAt))
    .sort((a, b) => b - a)[0];
  const lastHookAgeSeconds =
    lastHook === undefined ? undefined : Math.round((now.getTime() - lastHook) / 1000);
  const silent =
    gitlabPendingJobs > 0 &&
    (lastHookAgeSeconds ?? Number.POSITIVE_INFINITY) > limits.webhookSilenceSeconds;
  return {
    projectsChecked: projects.length,
    lostJobsRecorded,
    staleJobsClosed,
    jobsNotVisible,
    gitlabPendingJobs,
    ...(lastHookAgeSeconds !== undefined && { lastHookAgeSeconds }),
    disabledHooks,
    retriesResumed: retries.retried,
    retriesRefused: retries.refused,
    webhookSuspect: silent || lostJobsRecorded.length > 0 || disabledHooks.length > 0,
    rateLimited: rateLimited || retries.rateLimited,
  };
};

/**
 * The quiet projects whose hooks this pass reads: a window that moves on every pass over the
 * projects in id order, so each of any number of quiet projects is read in turn (every
 * ceil(n / perPass) minutes), not only the few most recently active. Stateless: the window
 * follows from the minute, the reaper's schedule.
 */
const inTurn = <P extends { readonly projectId: number }>(
  projects: readonly P[],
  perPass: number,
  now: Date,
): P[] => {
  if (projects.length <= perPass) return [...projects];
  const byId = [...projects].sort((a, b) => a.projectId - b.projectId);
  const pass = Math.floor(now.getTime() / (60 * 1000));
  const start = (pass * perPass) % byId.length;
  return Array.from({ length: perPass }, (_, i) => byId[(start + i) % byId.length] as P);
};

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");

type HookOwner = { readonly projectId: number } | { readonly groupId: number };

/**
 * GitLab disables a project or group hook that keeps failing (group hooks since 16.x), and then
 * sends nothing: reading the hook's `alert_status` tells at once, where lost jobs and silence only
 * hint. Owners whose hooks the token may not read (Maintainer needed for a project, Owner and
 * Premium for a group) are skipped.
 */
const findDisabledHooks = async (
  deps: ReconcileDependencies,
  owners: readonly HookOwner[],
): Promise<DisabledHook[]> => {
  const { webhook } = deps;
  if (!webhook) return [];
  const disabled: DisabledHook[] = [];
  for (const owner of owners) {
    let hooks: Awaited<ReturnType<HooksApi["listProjectHooks"]>>;
    try {
      hooks =
        "groupId" in owner
          ? await webhook.hooks.listGroupHooks(owner.groupId)
          : await webhook.hooks.listProjectHooks(owner.projectId);
    } catch (error) {
      if (error instanceof GitLabApiError && error.retryable) break;
      throw error;
    }
    const ours = hooks?.find((hook) => sameUrl(hook.url, webhook.url));
    if (ours && ours.alertStatus !== "executable") disabled.push(disabledHook(ours, owner));
  }
  return disabled;
};

/** The group pools' groups are few: their hooks are read every pass. */
const poolGroups = (deps: ReconcileDependencies): HookOwner[] =>
  [...new Set(deps.webhook?.groupIds ?? [])].map((groupId) => ({ groupId }));

const disabledHook = (
  hook: { readonly alertStatus: string; readonly disabledUntil?: string },
  owner: HookOwner,
): DisabledHook => ({
  ...owner,
  alertStatus: hook.alertStatus,
  ...(hook.disabledUntil && { disabledUntil: hook.disabledUntil }),
});

/** What one reconciliation reports to CloudWatch. */
export const reconcileMetrics = (report: ReconcileReport): MetricPoint[] => [
  { name: MetricName.LostWebhooksRecovered, value: report.lostJobsRecorded.length },
  { name: MetricName.StaleJobsClosed, value: report.staleJobsClosed.length },
  { name: MetricName.JobsNotVisible, value: report.jobsNotVisible.length },
  { name: MetricName.WebhookSuspect, value: report.webhookSuspect ? 1 : 0 },
  { name: MetricName.DisabledWebhooks, value: report.disabledHooks.length },
  { name: MetricName.JobsRetried, value: report.retriesResumed.length },
];
