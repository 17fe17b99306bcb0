import { randomBytes } from "node:crypto";
import { GitLabApiError } from "../../errors";
import { type Clock, systemClock } from "../../ports/clock";
import type {
  CreatedRunner,
  CreateRunnerRequest,
  GitlabJob,
  GitlabRunner,
  HooksApi,
  JobsApi,
  ProjectHook,
  RunnerRegistry,
  RunnerScope,
} from "../../ports/gitlab";

export interface InMemoryGitlabRunner extends CreateRunnerRequest {
  readonly id: number;
  readonly token: string;
  /** Set by tests: the runner has polled GitLab / is running a job. */
  contactedAt?: string;
  busy?: boolean;
}

export interface InMemoryGitlabOptions {
  /** GitLab's per-user API rate limit: calls past it within one minute of `clock` answer 429. */
  readonly requestsPerMinute?: number;
  readonly clock?: Clock;
}

/** GitLab's runner and job APIs in memory, for the simulator and unit tests. */
export class InMemoryGitlab implements RunnerRegistry, JobsApi, HooksApi {
  readonly runners = new Map<number, InMemoryGitlabRunner>();
  readonly jobs = new Map<number, GitlabJob>();
  /** A project's hooks; a project without an entry answers as if the token may not read them. */
  readonly hooks = new Map<number, ProjectHook[]>();
  /** Answers the next calls with this error status, once per entry (429, 500, ...). */
  readonly failures: number[] = [];
  calls = {
    createRunner: 0,
    deleteRunner: 0,
    getJob: 0,
    getRunner: 0,
    listRunners: 0,
    retryJob: 0,
    listPendingJobs: 0,
    listProjectHooks: 0,
  };
  /** Calls answered 429 by the rate limit. */
  throttled = 0;
  private nextRunnerId = 1;
  private window = { minute: Number.NaN, used: 0 };

  constructor(private readonly options: InMemoryGitlabOptions = {}) {}

  async createRunner(request: CreateRunnerRequest): Promise<CreatedRunner> {
    this.calls.createRunner += 1;
    this.admit();
    const runner = {
      ...request,
      id: this.nextRunnerId++,
      token: `glrt-${randomBytes(10).toString("hex")}`,
    };
    this.runners.set(runner.id, runner);
    return { id: runner.id, token: runner.token };
  }

  async deleteRunner(runnerId: number): Promise<void> {
    this.calls.deleteRunner += 1;
    this.admit();
    this.runners.delete(runnerId);
  }

  async getRunner(runnerId: number): Promise<GitlabRunner | undefined> {
    this.calls.getRunner += 1;
    this.admit();
    const runner = this.runners.get(runnerId);
    if (!runner) return undefined;
    return {
      id: runner.id,
      description: runner.description,
      status: runner.contactedAt ? "online" : "never_contacted",
      ...(runner.contactedAt && { contactedAt: runner.contactedAt }),
      busy: runner.busy === true,
    };
  }

  async listRunners(scope: RunnerScope): Promise<Omit<GitlabRunner, "busy" | "contactedAt">[]> {
    this.calls.listRunners += 1;
    this.admit();
    return [...this.runners.values()]
      .filter(
        (runner) =>
          runner.runnerType === scope.runnerType &&
          (scope.runnerType !== "group_type" || runner.groupId === scope.groupId) &&
          (scope.runnerType !== "project_type" || runner.projectId === scope.projectId),
      )
      .map((runner) => ({
        id: runner.id,
        description: runner.description,
        status: runner.contactedAt ? "online" : "never_contacted",
      }));
  }

  async listPendingJobs(projectId: number, limit: number): Promise<GitlabJob[]> {
    this.calls.listPendingJobs += 1;
    this.admit();
    return [...this.jobs.values()]
      .filter((job) => job.projectId === projectId && job.status === "pending")
      .slice(0, limit);
  }

  async retryJob(projectId: number, jobId: number): Promise<GitlabJob> {
    this.calls.retryJob += 1;
    this.admit();
    const job = this.jobs.get(jobId);
    if (!job || job.projectId !== projectId) throw new GitLabApiError("404 Job Not Found", 404);
    const id = Math.max(...this.jobs.keys()) + 1;
    const retried = { ...job, id, status: "pending" };
    this.jobs.set(id, retried);
    return retried;
  }

  async listProjectHooks(projectId: number): Promise<ProjectHook[] | undefined> {
    this.calls.listProjectHooks += 1;
    this.admit();
    return this.hooks.get(projectId);
  }

  async getJob(projectId: number, jobId: number): Promise<GitlabJob | undefined> {
    this.calls.getJob += 1;
    this.admit();
    const job = this.jobs.get(jobId);
    return job && job.projectId === projectId ? job : undefined;
  }

  private admit() {
    const status = this.failures.shift();
    if (status !== undefined)
      throw new GitLabApiError(`GitLab answered ${status}`, status, status === 429 ? 1 : undefined);
    const { requestsPerMinute, clock = systemClock } = this.options;
    if (requestsPerMinute === undefined) return;
    const now = clock.now().getTime();
    const minute = Math.floor(now / 60_000);
    if (minute !== this.window.minute) this.window = { minute, used: 0 };
    this.window.used += 1;
    if (this.window.used <= requestsPerMinute) return;
    this.throttled += 1;
    const retryAfter = Math.ceil(((minute + 1) * 60_000 - now) / 1000);
    throw new GitLabApiError("GitLab answered 429", 429, retryAfter);
  }
}
