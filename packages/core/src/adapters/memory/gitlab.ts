import { GitLabApiError } from "../../errors";
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
} from "../../ports/gitlab";
import { RUNNER_JOBS_PAGE } from "../../ports/gitlab";
import { runnerNameFromDescription } from "../../runners/runner-identity";
import { GitlabModel, type GitlabModelOptions } from "./gitlab-model";
import type { GitlabModelJob } from "./gitlab-model-records";

export interface InMemoryGitlabOptions extends GitlabModelOptions {
  /** GitLab's per-user API rate limit: calls past it within one minute of `clock` answer 429. */
  readonly requestsPerMinute?: number;
  /** As the REST client's: set, deleteRunner deletes only runners whose description names it. */
  readonly deployment?: string;
}

const asPortJob = ({
  id,
  projectId,
  status,
  tagList,
  runnerId,
  startedAt,
}: GitlabModelJob): GitlabJob => ({
  id,
  projectId,
  status,
  tagList,
  ...(runnerId !== undefined && { runnerId }),
  ...(startedAt !== undefined && { startedAt: startedAt.toISOString() }),
});

/**
 * GitLab's runner, job and hook APIs in process, for the simulator and unit tests: the GitLab model
 * (the one the HTTP double serves), behind GitLab's rate limit and the failures a test injects.
 */
export class InMemoryGitlab implements RunnerRegistry, JobsApi, HooksApi {
  /** GitLab's state and rules; tests play runners through it (requestJob, finishJob). */
  readonly model: GitlabModel;
  /** Answers the next calls with this error status, once per entry (429, 500, ...). */
  readonly failures: number[] = [];
  calls = {
    createRunner: 0,
    deleteRunner: 0,
    resetRunnerToken: 0,
    getJob: 0,
    getRunner: 0,
    namespacePlan: 0,
    listRunners: 0,
    listRunnerJobs: 0,
    retryJob: 0,
    listPendingJobs: 0,
    listProjectHooks: 0,
    listGroupHooks: 0,
    projectGroupIds: 0,
  };
  /** Runners deleteRunner left alone: their description names another deployment. */
  readonly refusedDeletes: number[] = [];
  /** Calls answered 429 by the rate limit. */
  throttled = 0;
  private window = { minute: Number.NaN, used: 0 };

  constructor(private readonly options: InMemoryGitlabOptions) {
    this.model = new GitlabModel(options);
  }

  /** The model's runners, jobs and hooks, for tests that read or seed GitLab's state. */
  get runners() {
    return this.model.runners;
  }

  get jobs() {
    return this.model.jobs;
  }

  get hooks() {
    return this.model.hooks;
  }

  async createRunner(request: CreateRunnerRequest): Promise<CreatedRunner> {
    this.calls.createRunner += 1;
    this.admit();
    const { id, token } = this.model.createRunner(request);
    return { id, token };
  }

  async deleteRunner(runnerId: number): Promise<void> {
    this.calls.deleteRunner += 1;
    this.admit();
    const { deployment } = this.options;
    const runner = this.model.runners.get(runnerId);
    if (
      deployment !== undefined &&
      runner &&
      runnerNameFromDescription(deployment, runner.description) === undefined
    ) {
      this.refusedDeletes.push(runnerId);
      return;
    }
    this.model.deleteRunner(runnerId);
  }

  async resetRunnerToken(runnerId: number): Promise<string | undefined> {
    this.calls.resetRunnerToken += 1;
    this.admit();
    const runner = this.model.runners.get(runnerId);
    if (!runner || !this.isOurs(runner.description)) return undefined;
    return this.model.resetRunnerToken(runnerId);
  }

  /** With a deployment set, as the REST client's: a runner whose description does not name it is not ours. */
  private isOurs(description: string): boolean {
    const { deployment } = this.options;
    return (
      deployment === undefined || runnerNameFromDescription(deployment, description) !== undefined
    );
  }

  async namespacePlan(scope: CappedRunnerScope): Promise<string | undefined> {
    this.calls.namespacePlan += 1;
    this.admit();
    return this.model.namespacePlan(scope);
  }

  async getRunner(runnerId: number): Promise<GitlabRunner | undefined> {
    this.calls.getRunner += 1;
    this.admit();
    const facts = this.model.describeRunner(runnerId);
    if (!facts) return undefined;
    return {
      id: facts.runner.id,
      description: facts.runner.description,
      status: facts.status,
      ...(facts.contactedAt && { contactedAt: facts.contactedAt.toISOString() }),
      busy: facts.busy,
    };
  }

  async listRunners(scope: RunnerScope): Promise<Omit<GitlabRunner, "busy" | "contactedAt">[]> {
    this.calls.listRunners += 1;
    this.admit();
    return this.model.listRunners(scope).map(({ runner, status }) => ({
      id: runner.id,
      description: runner.description,
      status,
    }));
  }

  /** Newest first, as the REST client asks (order_by=id, sort=desc); none for a runner gone. */
  async listRunnerJobs(runnerId: number): Promise<GitlabJob[]> {
    this.calls.listRunnerJobs += 1;
    this.admit();
    const runner = this.model.runners.get(runnerId);
    if (!runner) return [];
    const { deployment } = this.options;
    if (
      deployment !== undefined &&
      runnerNameFromDescription(deployment, runner.description) === undefined
    )
      return [];
    return this.model.jobsOfRunner(runnerId).slice(0, RUNNER_JOBS_PAGE).map(asPortJob);
  }

  /** The port's oldest `limit`, oldest first; GitLab's listing (the model's) is newest first. */
  async listPendingJobs(projectId: number, limit: number): Promise<GitlabJob[]> {
    this.calls.listPendingJobs += 1;
    this.admit();
    return this.model.listJobs(projectId, ["pending"]).reverse().slice(0, limit).map(asPortJob);
  }

  async listNewestWaitingJobs(projectId: number, limit: number): Promise<GitlabJob[]> {
    this.calls.listPendingJobs += 1;
    this.admit();
    return this.model
      .listJobs(projectId, ["pending", "created"])
      .slice(0, Math.min(100, limit))
      .map(asPortJob);
  }

  async retryJob(projectId: number, jobId: number): Promise<GitlabJob> {
    this.calls.retryJob += 1;
    this.admit();
    return asPortJob(this.model.retryJob(projectId, jobId));
  }

  async listProjectHooks(projectId: number): Promise<ProjectHook[] | undefined> {
    this.calls.listProjectHooks += 1;
    this.admit();
    const hooks = this.model.listProjectHooks(projectId);
    return hooks && [...hooks];
  }

  async listGroupHooks(groupId: number): Promise<ProjectHook[] | undefined> {
    this.calls.listGroupHooks += 1;
    this.admit();
    const hooks = this.model.listGroupHooks(groupId);
    return hooks && [...hooks];
  }

  async projectGroupIds(projectId: number): Promise<number[] | undefined> {
    this.calls.projectGroupIds += 1;
    this.admit();
    return this.model.projectGroupIds(projectId);
  }

  async getJob(projectId: number, jobId: number): Promise<GitlabJob | undefined> {
    this.calls.getJob += 1;
    this.admit();
    const job = this.model.getJob(projectId, jobId);
    return job && asPortJob(job);
  }

  private admit() {
    const status = this.failures.shift();
    if (status !== undefined)
      throw new GitLabApiError(`GitLab answered ${status}`, status, status === 429 ? 1 : undefined);
    const { requestsPerMinute, clock } = this.options;
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
