import { randomBytes } from "node:crypto";
import { GitLabApiError } from "../../errors";
import type {
  CreatedRunner,
  CreateRunnerRequest,
  GitlabJob,
  JobsApi,
  RunnerRegistry,
} from "../../ports/gitlab";

export interface InMemoryGitlabRunner extends CreateRunnerRequest {
  readonly id: number;
  readonly token: string;
}

/** GitLab's runner and job APIs in memory, for the simulator and unit tests. */
export class InMemoryGitlab implements RunnerRegistry, JobsApi {
  readonly runners = new Map<number, InMemoryGitlabRunner>();
  readonly jobs = new Map<number, GitlabJob>();
  /** Answers the next calls with this error status, once per entry (429, 500, ...). */
  readonly failures: number[] = [];
  calls = { createRunner: 0, deleteRunner: 0, getJob: 0 };
  private nextRunnerId = 1;

  async createRunner(request: CreateRunnerRequest): Promise<CreatedRunner> {
    this.calls.createRunner += 1;
    this.failNext();
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
    this.failNext();
    this.runners.delete(runnerId);
  }

  async getJob(projectId: number, jobId: number): Promise<GitlabJob | undefined> {
    this.calls.getJob += 1;
    this.failNext();
    const job = this.jobs.get(jobId);
    return job && job.projectId === projectId ? job : undefined;
  }

  private failNext() {
    const status = this.failures.shift();
    if (status !== undefined)
      throw new GitLabApiError(`GitLab answered ${status}`, status, status === 429 ? 1 : undefined);
  }
}
