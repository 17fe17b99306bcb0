import { randomBytes, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { GitLabApiError } from "../../errors";
import { isFinished } from "../../jobs/job-status";
import type { Clock } from "../../ports/clock";
import type { ProjectHook } from "../../ports/gitlab";
import type { HookOwner } from "../../ports/gitlab-setup";
import { runnerMayTake } from "./gitlab-job-matching";
import {
  GitlabHookLists,
  type GitlabModelHook,
  type HookChanges,
  type ResolvedHook,
} from "./gitlab-model-hooks";
import {
  type EnqueueRequest,
  GitlabJobTable,
  type GitlabModelJob,
  type GitlabModelRunner,
  GitlabRunnerTable,
  type RunnerFacts,
  type RunnerFields,
  type RunnerFilter,
} from "./gitlab-model-records";
import { gitlabRunnerStatus } from "./gitlab-runner-status";

export interface GitlabModelOptions {
  readonly clock: Clock;
  /** The first job id handed out (gitlab.com's are above 2^31). Default 1. */
  readonly firstJobId?: number;
  /**
   * The hooks of a project without an entry in `hooks`. Without them such a project answers as to
   * a token that may not read or write its hooks (403).
   */
  readonly defaultHooks?: readonly ProjectHook[];
}

/** GitLab's Ci::Build#retryable?: only a finished job, and only once. */
const RETRYABLE = new Set(["success", "failed", "canceled"]);

/**
 * GitLab's state (runners, jobs, projects' groups and hooks) and its rules: which runner gets
 * which job, what busy and online mean, which job may be retried. The in-process GitLab and the
 * HTTP double both serve it; tests act as runners through requestJob and finishJob. Emits "job" on
 * every status change, for the double's webhooks.
 */
export class GitlabModel extends EventEmitter<{
  job: [GitlabModelJob];
  /** A runner was created or deleted. */
  runner: [GitlabModelRunner];
}> {
  readonly jobs: GitlabJobTable;
  readonly runners = new GitlabRunnerTable();
  /** A project's group; a project not here is in none. */
  readonly projects = new Map<number, { readonly groupId?: number }>();
  readonly hooks = new Map<number, readonly GitlabModelHook[]>();
  /** Group hooks by group id; a group without an entry answers as if the token may not read them. */
  readonly groupHooks = new Map<number, readonly GitlabModelHook[]>();
  readonly clock: Clock;
  private readonly webhooks: GitlabHookLists;
  private nextRunnerId = 1;

  constructor(private readonly options: GitlabModelOptions) {
    super();
    this.clock = options.clock;
    this.jobs = new GitlabJobTable(options.firstJobId ?? 1);
    this.webhooks = new GitlabHookLists(this.hooks, this.groupHooks, options.defaultHooks);
  }

  /**
   * GitLab's plan limits ci_registered_group_runners and ci_registered_project_runners, by group
   * or project id: creating one more runner there is refused. GitLab counts runners created or
   * contacted in the past 7 days; here, every runner not deleted.
   */
  readonly registeredRunnerLimits = {
    group: new Map<number, number>(),
    project: new Map<number, number>(),
  };

  /**
   * Runners created and deleted so far, tokens reset, and the most registered at once (the
   * simulator's counts).
   */
  readonly lifecycle = { created: 0, deleted: 0, tokenResets: 0, maxRegistered: 0 };

  createRunner(fields: RunnerFields): GitlabModelRunner {
    this.refuseOverRegisteredLimit(fields);
    const runner = {
      ...fields,
      id: this.nextRunnerId++,
      token: `glrt-${randomBytes(12).toString("hex")}`,
      createdAt: this.clock.now(),
    };
    this.runners.set(runner.id, runner);
    this.lifecycle.created += 1;
    this.lifecycle.maxRegistered = Math.max(this.lifecycle.maxRegistered, this.runners.size);
    this.emit("runner", runner);
    return runner;
  }

  private refuseOverRegisteredLimit(fields: RunnerFields) {
    const [kind, id] =
      fields.runnerType === "group_type"
        ? (["group", fields.groupId] as const)
        : fields.runnerType === "project_type"
          ? (["project", fields.projectId] as const)
          : [undefined, undefined];
    if (kind === undefined || id === undefined) return;
    const limit = this.registeredRunnerLimits[kind].get(id);
    if (limit === undefined) return;
    const registered = this.listRunners({
      runnerType: fields.runnerType,
      ...(kind === "group" ? { groupId: id } : { projectId: id }),
    }).length;
    if (registered >= limit)
      // Limitable's validation message, as POST /user/runners answers it.
      throw new GitLabApiError(
        `400 Bad request - Maximum number of ci registered ${kind} runners (${limit}) exceeded`,
        400,
      );
  }

  /** False when GitLab has no such runner. */
  deleteRunner(runnerId: number): boolean {
    const runner = this.runners.get(runnerId);
    if (!runner) return false;
    this.runners.delete(runnerId);
    this.lifecycle.deleted += 1;
    this.emit("runner", runner);
    return true;
  }

  /** A new token for the runner, the old one refused from now on; undefined when GitLab has no such runner. */
  resetRunnerToken(runnerId: number): string | undefined {
    const runner = this.runners.get(runnerId);
    if (!runner) return undefined;
    const token = `glrt-${randomBytes(12).toString("hex")}`;
    this.runners.set(runnerId, { ...runner, token });
    this.lifecycle.tokenResets += 1;
    return token;
  }

  runnerByToken(token: string | undefined): GitlabModelRunner | undefined {
    return token === undefined ? undefined : this.runners.byToken(token);
  }

  describeRunner(runnerId: number): RunnerFacts | undefined {
    const runner = this.runners.get(runnerId);
    if (!runner) return undefined;
    const now = this.clock.now();
    const busy = this.jobsOfRunner(runnerId, "running").length > 0;
    // A runner running a job sends its trace every few seconds, and each call is a contact.
    const contactedAt = busy ? now : runner.contactedAt;
    const status = gitlabRunnerStatus({ createdAt: runner.createdAt, contactedAt }, now);
    return { runner, status, busy, ...(contactedAt && { contactedAt }) };
  }

  listRunners(filter: RunnerFilter): RunnerFacts[] {
    return [...this.runners.values()]
      .filter(
        (runner) =>
          (filter.runnerType === undefined || runner.runnerType === filter.runnerType) &&
          (filter.groupId === undefined || runner.groupId === filter.groupId) &&
          (filter.projectId === undefined || runner.projectId === filter.projectId),
      )
      .flatMap((runner) => this.describeRunner(runner.id) ?? []);
  }

  /** The runner called GitLab (POST /runners/verify, /jobs/request, PUT /jobs/:id). */
  contact(runnerId: number): GitlabModelRunner {
    const runner = this.runners.get(runnerId);
    if (!runner) throw new GitLabApiError("403 Forbidden", 403);
    const contacted = { ...runner, contactedAt: this.clock.now() };
    this.runners.set(runnerId, contacted);
    return contacted;
  }

  /** A pipeline creates a job: created, then at once pending (unless `pending: false`). */
  enqueue(request: EnqueueRequest): GitlabModelJob {
    if (request.groupId !== undefined)
      this.projects.set(request.projectId, { groupId: request.groupId });
    const id = request.id ?? this.jobs.nextId();
    if (this.jobs.has(id)) throw new Error(`GitLab has job ${id} already`);
    const created: GitlabModelJob = {
      id,
      projectId: request.projectId,
      status: "created",
      tagList: request.tags ?? [],
      name: request.name ?? `job-${id}`,
      ...(request.pipelineId !== undefined && { pipelineId: request.pipelineId }),
      ...(request.stage !== undefined && { stage: request.stage }),
      ...(request.retriesCount !== undefined && { retriesCount: request.retriesCount }),
      createdAt: this.clock.now(),
      durationSeconds: request.durationSeconds ?? 5,
    };
    this.jobs.set(id, created);
    this.emit("job", created);
    return request.pending === false
      ? created
      : this.update(created, { status: "pending", queuedAt: this.clock.now() });
  }

  /** The earlier stages of its pipeline are done: a created job becomes pending. */
  release(jobId: number): GitlabModelJob {
    const job = this.jobs.get(jobId);
    if (!job) throw new GitLabApiError("404 Job Not Found", 404);
    if (job.status !== "created") throw new Error(`job ${jobId} is ${job.status}, not created`);
    return this.update(job, { status: "pending", queuedAt: this.clock.now() });
  }

  /** POST /jobs/request: the runner calls in and gets the oldest pending job it may take. */
  requestJob(runnerId: number): GitlabModelJob | undefined {
    const runner = this.contact(runnerId);
    if (runner.paused) return undefined;
    const groupOf = (projectId: number) => this.projects.get(projectId)?.groupId;
    for (const job of this.jobs.pendingLowestIdFirst()) {
      if (!runnerMayTake(runner, job, groupOf)) continue;
      return this.update(job, {
        status: "running",
        runnerId,
        jobToken: `glcbt-${randomUUID()}`,
        startedAt: this.clock.now(),
      });
    }
    return undefined;
  }

  /** Its runner reports a running job done, or someone cancels an unfinished one. */
  finishJob(jobId: number, status: "success" | "failed" | "canceled"): GitlabModelJob {
    const job = this.jobs.get(jobId);
    if (!job) throw new GitLabApiError("404 Job Not Found", 404);
    const allowed = status === "canceled" ? !isFinished(job.status) : job.status === "running";
    if (!allowed) throw new GitLabApiError(`403 Forbidden - Job is ${job.status}`, 403);
    if (status !== "canceled" && job.runnerId !== undefined && this.runners.has(job.runnerId))
      this.contact(job.runnerId);
    return this.update(job, { status, finishedAt: this.clock.now() });
  }

  /** POST /projects/:id/jobs/:job_id/retry: a new pending job like a finished one. */
  retryJob(projectId: number, jobId: number): GitlabModelJob {
    const job = this.getJob(projectId, jobId);
    if (!job) throw new GitLabApiError("404 Job Not Found", 404);
    if (job.retried || !RETRYABLE.has(job.status))
      throw new GitLabApiError("403 Forbidden - Job is not retryable", 403);
    this.jobs.set(jobId, { ...job, retried: true });
    return this.enqueue({
      projectId,
      tags: job.tagList,
      ...(job.name !== undefined && { name: job.name }),
      ...(job.pipelineId !== undefined && { pipelineId: job.pipelineId }),
      ...(job.stage !== undefined && { stage: job.stage }),
      retriesCount: (job.retriesCount ?? 0) + 1,
      ...(job.durationSeconds !== undefined && { durationSeconds: job.durationSeconds }),
    });
  }

  getJob(projectId: number, jobId: number): GitlabModelJob | undefined {
    const job = this.jobs.get(jobId);
    return job?.projectId === projectId ? job : undefined;
  }

  /** GET /projects/:id/jobs?scope[]=…: newest first, as GitLab lists them; no statuses, all. */
  listJobs(projectId: number, statuses: readonly string[] = []): GitlabModelJob[] {
    return this.jobs.ofProject(projectId, statuses);
  }

  /** GET /runners/:id/jobs?status=…: newest first. */
  jobsOfRunner(runnerId: number, status?: string): GitlabModelJob[] {
    return this.jobs.ofRunner(runnerId, status === undefined ? [] : [status]);
  }

  /**
   * gitlab.com plan names by namespace id (a group's id; a project's namespace is its group):
   * GET /namespaces/:id shows `plan` only where one is set, as GitLab shows it only to Owners.
   */
  readonly namespacePlans = new Map<number, string>();

  /** The plan of the group, or of the project's group, where one is shown. */
  namespacePlan(scope: { groupId: number } | { projectId: number }): string | undefined {
    const namespaceId =
      "groupId" in scope ? scope.groupId : this.projects.get(scope.projectId)?.groupId;
    return namespaceId === undefined ? undefined : this.namespacePlans.get(namespaceId);
  }

  /** GET /projects/:id/groups: the project's group (this model nests no groups), or none. */
  projectGroupIds(projectId: number): number[] {
    const groupId = this.projects.get(projectId)?.groupId;
    return groupId === undefined ? [] : [groupId];
  }

  listGroupHooks(groupId: number): readonly ProjectHook[] | undefined {
    return this.groupHooks.get(groupId);
  }

  /** Undefined when the token may not read them. */
  listProjectHooks(projectId: number): readonly ProjectHook[] | undefined {
    return this.hooks.get(projectId) ?? this.options.defaultHooks;
  }

  /** GET …/hooks, ids and defaults filled in; undefined when the token may not read them. */
  listHooks(owner: HookOwner): ResolvedHook[] | undefined {
    return this.webhooks.list(owner);
  }

  /** POST …/hooks; throws 403 where the token may not read the owner's hooks. */
  createHook(owner: HookOwner, changes: HookChanges & { url: string }): ResolvedHook {
    return this.webhooks.create(owner, changes, this.clock.now());
  }

  /** PUT …/hooks/:hook_id; throws 403 as createHook, 404 for a hook the owner lacks. */
  updateHook(owner: HookOwner, hookId: number, changes: HookChanges): ResolvedHook {
    return this.webhooks.update(owner, hookId, changes);
  }

  /** DELETE …/hooks/:hook_id; throws as updateHook. */
  deleteHook(owner: HookOwner, hookId: number): void {
    this.webhooks.delete(owner, hookId);
  }

  /** The token a hook was given, which GitLab's API never shows: for tests. */
  hookToken(owner: HookOwner, hookId: number): string | undefined {
    return this.webhooks.token(owner, hookId);
  }

  private update(job: GitlabModelJob, changes: Partial<GitlabModelJob>): GitlabModelJob {
    const updated = { ...job, ...changes };
    this.jobs.set(job.id, updated);
    if (changes.status !== undefined) this.emit("job", updated);
    return updated;
  }
}
