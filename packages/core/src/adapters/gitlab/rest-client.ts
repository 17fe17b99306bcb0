import { setTimeout as sleep } from "node:timers/promises";
import { GitLabApiError } from "../../errors";
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
import { TokenBucket } from "../../rate-limit/token-bucket";

export interface GitLabRestOptions {
  /** e.g. https://gitlab.example.com (no /api/v4). */
  readonly baseUrl: string;
  /** A token with `create_runner` and `manage_runner` (or `api`) scope; read per call so rotation applies. */
  readonly token: () => Promise<string>;
  readonly timeoutMs?: number;
  /** Attempts for a request GitLab refused with 429, or failed with 5xx when it is safe to repeat. */
  readonly maxAttempts?: number;
  /** Called on every 429, for the ApiThrottles metric. */
  readonly onThrottle?: () => void;
  /** Longest wait honoured from Retry-After before giving up to the next pass. */
  readonly maxRetryAfterSeconds?: number;
  /**
   * This client's share of the token's API budget (GitLab.com: 2,000 requests a minute per user,
   * the jobs listing 600). Calls beyond it wait rather than draw 429s. Default 600 a minute.
   */
  readonly budget?: TokenBucket;
}

interface RequestOptions {
  readonly method: "GET" | "POST" | "DELETE";
  readonly path: string;
  readonly body?: unknown;
  /** 404 is an answer, not an error. */
  readonly notFoundOk?: boolean;
}

const retryAfterSeconds = (header: string | null): number | undefined => {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
};

/** The one module that speaks GitLab's REST API (v4) for the control plane. */
export class GitLabRestClient implements RunnerRegistry, JobsApi, HooksApi {
  private readonly api: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxRetryAfterSeconds: number;
  private readonly budget: TokenBucket;

  constructor(private readonly options: GitLabRestOptions) {
    this.api = `${options.baseUrl.replace(/\/+$/, "")}/api/v4`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 10;
    this.budget = options.budget ?? new TokenBucket(10, 50);
  }

  async createRunner(request: CreateRunnerRequest): Promise<CreatedRunner> {
    const created = (await this.request({
      method: "POST",
      path: "/user/runners",
      body: {
        runner_type: request.runnerType,
        ...(request.groupId !== undefined && { group_id: request.groupId }),
        ...(request.projectId !== undefined && { project_id: request.projectId }),
        description: request.description,
        tag_list: request.tagList,
        run_untagged: request.runUntagged,
        maximum_timeout: request.maximumTimeout,
        access_level: request.accessLevel,
        paused: false,
        locked: request.runnerType === "project_type",
      },
    })) as { id: number; token: string };
    return { id: created.id, token: created.token };
  }

  async deleteRunner(runnerId: number): Promise<void> {
    await this.request({ method: "DELETE", path: `/runners/${runnerId}`, notFoundOk: true });
  }

  async getRunner(runnerId: number): Promise<GitlabRunner | undefined> {
    const runner = (await this.request({
      method: "GET",
      path: `/runners/${runnerId}`,
      notFoundOk: true,
    })) as
      | {
          id: number;
          description?: string;
          status?: string;
          contacted_at?: string | null;
          job_execution_status?: string;
        }
      | undefined;
    if (!runner) return undefined;
    // job_execution_status is GitLab 17.x+; older versions are asked for the runner's running jobs.
    const busy =
      runner.job_execution_status !== undefined
        ? runner.job_execution_status === "active"
        : (
            (await this.request({
              method: "GET",
              path: `/runners/${runnerId}/jobs?status=running&per_page=1`,
            })) as unknown[]
          ).length > 0;
    return {
      id: runner.id,
      description: runner.description ?? "",
      status: runner.status ?? "unknown",
      ...(runner.contacted_at && { contactedAt: runner.contacted_at }),
      busy,
    };
  }

  async listRunners(scope: RunnerScope): Promise<Omit<GitlabRunner, "busy" | "contactedAt">[]> {
    const base =
      scope.runnerType === "instance_type"
        ? "/runners/all?type=instance_type"
        : scope.runnerType === "group_type"
          ? `/groups/${scope.groupId}/runners?type=group_type`
          : `/projects/${scope.projectId}/runners?type=project_type`;
    const runners: Omit<GitlabRunner, "busy" | "contactedAt">[] = [];
    for (let page = 1; ; page++) {
      const batch = (await this.request({
        method: "GET",
        path: `${base}&per_page=100&page=${page}`,
      })) as {
        id: number;
        description?: string;
        status?: string;
      }[];
      runners.push(
        ...batch.map((runner) => ({
          id: runner.id,
          description: runner.description ?? "",
          status: runner.status ?? "unknown",
        })),
      );
      if (batch.length < 100) return runners;
    }
  }

  async listPendingJobs(projectId: number, limit: number): Promise<GitlabJob[]> {
    const jobs: GitlabJob[] = [];
    for (let page = 1; jobs.length < limit; page++) {
      const batch = (await this.request({
        method: "GET",
        path: `/projects/${projectId}/jobs?scope[]=pending&per_page=100&page=${page}`,
      })) as { id: number; status: string; tag_list?: string[] }[];
      jobs.push(
        ...batch.map((job) => ({
          id: job.id,
          projectId,
          status: job.status,
          tagList: job.tag_list ?? [],
        })),
      );
      if (batch.length < 100) break;
    }
    return jobs.slice(0, limit);
  }

  async retryJob(projectId: number, jobId: number): Promise<GitlabJob> {
    const job = (await this.request({
      method: "POST",
      path: `/projects/${projectId}/jobs/${jobId}/retry`,
    })) as { id: number; status: string; tag_list?: string[] };
    return { id: job.id, projectId, status: job.status, tagList: job.tag_list ?? [] };
  }

  async listProjectHooks(projectId: number): Promise<ProjectHook[] | undefined> {
    try {
      const hooks = (await this.request({
        method: "GET",
        path: `/projects/${projectId}/hooks?per_page=100`,
        notFoundOk: true,
      })) as { url: string; alert_status?: string; disabled_until?: string | null }[] | undefined;
      return hooks?.map((hook) => ({
        url: hook.url,
        // GitLab before 15.1 has no alert_status: its hooks were never auto-disabled.
        alertStatus: hook.alert_status ?? "executable",
        ...(hook.disabled_until && { disabledUntil: hook.disabled_until }),
      }));
    } catch (error) {
      if (error instanceof GitLabApiError && error.status === 403) return undefined;
      throw error;
    }
  }

  async getJob(projectId: number, jobId: number): Promise<GitlabJob | undefined> {
    const job = (await this.request({
      method: "GET",
      path: `/projects/${projectId}/jobs/${jobId}`,
      notFoundOk: true,
    })) as { id: number; status: string; tag_list?: string[] } | undefined;
    return job && { id: job.id, projectId, status: job.status, tagList: job.tag_list ?? [] };
  }

  private async request({ method, path, body, notFoundOk }: RequestOptions): Promise<unknown> {
    // A POST that GitLab answered with 5xx may have been applied: only 429 (refused) is repeated.
    const repeatable = method !== "POST";
    for (let attempt = 1; ; attempt++) {
      await this.budget.take();
      const response = await fetch(`${this.api}${path}`, {
        method,
        headers: {
          "PRIVATE-TOKEN": await this.options.token(),
          ...(body !== undefined && { "content-type": "application/json" }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (response.ok) return response.status === 204 ? undefined : response.json();
      if (response.status === 404 && notFoundOk) return undefined;
      if (response.status === 429) this.options.onThrottle?.();
      const retryAfter = retryAfterSeconds(response.headers.get("retry-after"));
      const error = new GitLabApiError(
        `GitLab ${method} ${path} answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
        response.status,
        retryAfter,
      );
      const mayRepeat = response.status === 429 || (repeatable && response.status >= 500);
      const wait = retryAfter ?? Math.random() * 2 ** attempt;
      if (!mayRepeat || attempt >= this.maxAttempts || wait > this.maxRetryAfterSeconds)
        throw error;
      await sleep(wait * 1000);
    }
  }
}
