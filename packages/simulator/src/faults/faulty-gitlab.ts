import { GitLabApiError, type InMemoryGitlab } from "@ger/core";
import type {
  CappedRunnerScope,
  CreatedRunner,
  CreateRunnerRequest,
  GitlabJob,
  GitlabRunner,
  HooksApi,
  JobsApi,
  ProjectHook,
  RunnerRegistry,
  RunnerScope,
} from "@ger/core/types";
import type { VirtualTime } from "../world/virtual-time";
import type { Faults } from "./faults";

/** What the invariants hear of the control plane's calls to GitLab. */
export interface GitlabCallObserver {
  /** A retry was asked for `jobId`: GitLab made `retryId`, or refused (undefined). */
  retryMade(jobId: number, retryId: number): void;
  /** The control plane deleted a GitLab runner; `runningJobs` are the jobs it was running. */
  runnerDeleted(runnerId: number, runningJobs: readonly number[]): void;
}

/** How long GitLab may show a runner idle after it took a job, at most (statuslag). */
export const STATUS_LAG_MAX_S = 60;
/** Retry-After of an injected 429, uniform up to this. */
const RETRY_AFTER_MAX_S = 60;
const SERVER_ERRORS = [500, 502, 503] as const;

type Calls = InMemoryGitlab["calls"];

/**
 * GitLab's API as this project's control plane reaches it: the in-process GitLab, with the faults
 * of a bad day. throttle: 429 with Retry-After past the normal rate limit; gitlab5xx: 500, 502 or
 * 503; statuslag: for a while after a runner takes a job, GET /runners/:id shows it not busy (its
 * job listing, GET /runners/:id/jobs, shows the job at once). A failed call counts as a call made
 * (GitLab answered it), as the errors a client sees once its own retries are spent. Also tells
 * the invariants what was retried and deleted.
 */
export class FaultyGitlab implements RunnerRegistry, JobsApi, HooksApi {
  /** Calls answered 429 by an injected throttle. */
  throttled = 0;
  private readonly lagUntil = new Map<number, number>();

  constructor(
    private readonly gitlab: InMemoryGitlab,
    private readonly faults: Faults,
    private readonly time: VirtualTime,
    private readonly observer: GitlabCallObserver,
  ) {}

  /** A runner took a job: GitLab may show it idle for a while (statuslag). */
  jobTaken(runnerId: number): void {
    if (!this.faults.strike("statuslag")) return;
    const lagMs = this.faults.random("statuslag").between(0, STATUS_LAG_MAX_S) * 1000;
    this.lagUntil.set(runnerId, this.time.nowMillis + lagMs);
  }

  async createRunner(request: CreateRunnerRequest): Promise<CreatedRunner> {
    this.admit("createRunner");
    return this.gitlab.createRunner(request);
  }

  async deleteRunner(runnerId: number): Promise<void> {
    this.admit("deleteRunner");
    const running = this.gitlab.model.jobsOfRunner(runnerId, "running").map((job) => job.id);
    await this.gitlab.deleteRunner(runnerId);
    this.observer.runnerDeleted(runnerId, running);
  }

  async resetRunnerToken(runnerId: number): Promise<string | undefined> {
    this.admit("resetRunnerToken");
    return this.gitlab.resetRunnerToken(runnerId);
  }

  async getRunner(runnerId: number): Promise<GitlabRunner | undefined> {
    this.admit("getRunner");
    const runner = await this.gitlab.getRunner(runnerId);
    const lagging = this.time.nowMillis < (this.lagUntil.get(runnerId) ?? 0);
    return runner?.busy && lagging ? { ...runner, busy: false } : runner;
  }

  async namespacePlan(scope: CappedRunnerScope): Promise<string | undefined> {
    this.admit("namespacePlan");
    return this.gitlab.namespacePlan(scope);
  }

  async listRunners(scope: RunnerScope): Promise<Omit<GitlabRunner, "busy" | "contactedAt">[]> {
    this.admit("listRunners");
    return this.gitlab.listRunners(scope);
  }

  /** Not lagged by statuslag: that fault is GET /runners/:id's `busy` flag only. */
  async listRunnerJobs(runnerId: number): Promise<GitlabJob[]> {
    this.admit("listRunnerJobs");
    return this.gitlab.listRunnerJobs(runnerId);
  }

  async getJob(projectId: number, jobId: number): Promise<GitlabJob | undefined> {
    this.admit("getJob");
    return this.gitlab.getJob(projectId, jobId);
  }

  async listPendingJobs(projectId: number, limit: number): Promise<GitlabJob[]> {
    this.admit("listPendingJobs");
    return this.gitlab.listPendingJobs(projectId, limit);
  }

  async listNewestWaitingJobs(projectId: number, limit: number): Promise<GitlabJob[]> {
    this.admit("listPendingJobs");
    return this.gitlab.listNewestWaitingJobs(projectId, limit);
  }

  async projectGroupIds(projectId: number): Promise<number[] | undefined> {
    this.admit("projectGroupIds");
    return this.gitlab.projectGroupIds(projectId);
  }

  async retryJob(projectId: number, jobId: number): Promise<GitlabJob> {
    this.admit("retryJob");
    // GitLab refuses to retry a job retried already (403), so only a retry it made is observed.
    const retry = await this.gitlab.retryJob(projectId, jobId);
    this.observer.retryMade(jobId, retry.id);
    return retry;
  }

  async listProjectHooks(projectId: number): Promise<ProjectHook[] | undefined> {
    this.admit("listProjectHooks");
    return this.gitlab.listProjectHooks(projectId);
  }

  async listGroupHooks(groupId: number): Promise<ProjectHook[] | undefined> {
    this.admit("listGroupHooks");
    return this.gitlab.listGroupHooks(groupId);
  }

  /** An injected error instead of the call, counted as a call GitLab answered. */
  private admit(call: keyof Calls): void {
    const throttled = this.faults.strike("throttle");
    if (!throttled && !this.faults.strike("gitlab5xx")) return;
    this.gitlab.calls[call] += 1;
    if (throttled) {
      this.throttled += 1;
      const retryAfter = Math.max(
        1,
        Math.ceil(this.faults.random("throttle").between(0, RETRY_AFTER_MAX_S)),
      );
      throw new GitLabApiError("GitLab answered 429", 429, retryAfter);
    }
    const status = this.faults.random("gitlab5xx").pick(SERVER_ERRORS);
    throw new GitLabApiError(`GitLab answered ${status}`, status, status === 503 ? 5 : undefined);
  }
}
