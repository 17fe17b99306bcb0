import { setTimeout as sleep } from "node:timers/promises";
import { ConfigurationError, GitLabApiError } from "../../errors";
import type {
  CappedRunnerScope,
  CreatedRunner,
  CreateRunnerRequest,
  GitlabJob,
  GitlabRunner,
  HooksApi,
  JobsApi,
  PendingJobsPaging,
  ProjectHook,
  RunnerRegistry,
  RunnerScope,
} from "../../ports/gitlab";
import { RUNNER_JOBS_PAGE } from "../../ports/gitlab";
import { TokenBucket } from "../../rate-limit/token-bucket";
import { runnerNameFromDescription } from "../../runners/runner-identity";

export interface GitLabRestOptions {
  /** e.g. https://gitlab.example.com (no /api/v4). */
  readonly baseUrl: string;
  /** A token with `create_runner`, `manage_runner` and `read_api` (or `api`); read per call so rotation applies. */
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
  /**
   * The deployment whose runners this client may delete. Set, deleteRunner reads the runner first
   * and deletes it only if its description names the deployment (`<deployment>/…`, as the control
   * plane writes it), so that an id from a tampered or mistaken record cannot delete anyone else's
   * runner: one GET per delete, and no DELETE for a runner already gone.
   */
  readonly deployment?: string;
  /** Told of a runner deleteRunner left alone. Default: a warning on stderr. */
  readonly onRefusedDelete?: (runnerId: number, description: string) => void;
}

/** One call to GitLab's API, as GitLabRestClient.send makes it. */
export interface GitLabRequest {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  readonly path: string;
  readonly body?: unknown;
  /** 404 is an answer, not an error. */
  readonly notFoundOk?: boolean;
}

interface Answer {
  readonly body: unknown;
  readonly headers: Headers;
}

interface ListedJob {
  readonly id: number;
  readonly status: string;
  readonly tag_list?: string[];
  readonly runner?: { readonly id?: number } | null;
  readonly started_at?: string | null;
}

const portJob = (job: ListedJob, projectId: number): GitlabJob => ({
  id: job.id,
  projectId,
  status: job.status,
  tagList: job.tag_list ?? [],
  ...(typeof job.runner?.id === "number" && { runnerId: job.runner.id }),
  ...(typeof job.started_at === "string" && { startedAt: job.started_at }),
});

/** Where a job of GET /runners/:id/jobs belongs: `project` (JobBasicWithProject), or its pipeline's. */
interface RunnerJobProject {
  readonly project?: { readonly id?: number } | null;
  readonly pipeline?: { readonly project_id?: number } | null;
}

interface ListedRunner {
  readonly id: number;
  readonly description?: string;
  readonly status?: string;
}

interface ListedPage<T> {
  readonly items: T[];
  /** x-next-page; absent on the last page. */
  readonly nextPage?: number;
  /** x-total-pages; GitLab omits it above 10,000 results. */
  readonly totalPages?: number;
}

/** A page number from a paging header; undefined when it is absent or empty (the last page). */
const pageNumber = (header: string | null): number | undefined => {
  if (!header) return undefined;
  const page = Number(header);
  return Number.isSafeInteger(page) && page >= 1 ? page : undefined;
};

const retryAfterSeconds = (header: string | null): number | undefined => {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
};

const warnRefusedDelete = (runnerId: number, description: string) =>
  console.warn(
    JSON.stringify({
      level: "WARN",
      message: "refused to delete a GitLab runner of another deployment",
      runnerId,
      description,
    }),
  );

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** The admin token goes with every request: never in clear text, but to a GitLab on this machine. */
const refuseCleartext = (baseUrl: string) => {
  const url = new URL(baseUrl);
  if (url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.test(url.hostname)))
    return;
  throw new ConfigurationError(
    `gitlab_url ${baseUrl} must use https:// (http:// is accepted only for a GitLab on this machine, such as the local double)`,
  );
};

/** POST /user/runners' body for a runner the control plane creates. */
export const runnerCreationBody = (
  request: CreateRunnerRequest,
  { paused }: { paused: boolean },
) => ({
  runner_type: request.runnerType,
  ...(request.groupId !== undefined && { group_id: request.groupId }),
  ...(request.projectId !== undefined && { project_id: request.projectId }),
  description: request.description,
  tag_list: request.tagList,
  run_untagged: request.runUntagged,
  maximum_timeout: request.maximumTimeout,
  access_level: request.accessLevel,
  paused,
  locked: request.runnerType === "project_type",
});

/** Runner ids remembered as ours, at most: past it, the memory starts again (a read each). */
const KNOWN_OURS_MAX = 10_000;

/** The one module that speaks GitLab's REST API (v4) for the control plane. */
export class GitLabRestClient implements RunnerRegistry, JobsApi, HooksApi {
  private readonly api: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxRetryAfterSeconds: number;
  private readonly budget: TokenBucket;
  /**
   * Runners this client read as this deployment's: a kept registration is reset after every job,
   * and its owner does not change, so its description is read once per client, not per reset.
   */
  private readonly knownOurs = new Set<number>();

  constructor(private readonly options: GitLabRestOptions) {
    refuseCleartext(options.baseUrl);
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
      body: runnerCreationBody(request, { paused: false }),
    })) as { id: number; token: string };
    return { id: created.id, token: created.token };
  }

  async deleteRunner(runnerId: number): Promise<void> {
    const { onRefusedDelete = warnRefusedDelete } = this.options;
    const owner = await this.ownership(runnerId);
    if (owner.kind === "gone") return;
    if (owner.kind === "theirs") return onRefusedDelete(runnerId, owner.description);
    await this.request({ method: "DELETE", path: `/runners/${runnerId}`, notFoundOk: true });
    this.knownOurs.delete(runnerId);
  }

  /** Refused for another deployment's runner, as deleteRunner is: its token would become ours. */
  async resetRunnerToken(runnerId: number): Promise<string | undefined> {
    const owner = await this.ownership(runnerId);
    if (owner.kind !== "ours") return undefined;
    const reset = (await this.request({
      method: "POST",
      path: `/runners/${runnerId}/reset_authentication_token`,
      notFoundOk: true,
    })) as { token?: string } | undefined;
    if (!reset) this.knownOurs.delete(runnerId);
    return reset?.token;
  }

  /**
   * With a deployment set, whether the runner's description names it (one GET): a mistaken or
   * tampered record must not make us touch another deployment's runner. Without, every runner
   * counts as ours.
   */
  private async ownership(
    runnerId: number,
  ): Promise<{ kind: "ours" | "gone" } | { kind: "theirs"; description: string }> {
    const { deployment } = this.options;
    if (deployment === undefined || this.knownOurs.has(runnerId)) return { kind: "ours" };
    const runner = (await this.request({
      method: "GET",
      path: `/runners/${runnerId}`,
      notFoundOk: true,
    })) as { description?: string } | undefined;
    if (!runner) return { kind: "gone" };
    const description = runner.description ?? "";
    if (runnerNameFromDescription(deployment, description) === undefined)
      return { kind: "theirs", description };
    if (this.knownOurs.size >= KNOWN_OURS_MAX) this.knownOurs.clear();
    this.knownOurs.add(runnerId);
    return { kind: "ours" };
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
    // job_execution_status is recent in REST (in the 19.x docs, not in 18.x): older versions are
    // asked for the runner's running jobs.
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

  /** A project's namespace is read first (GET /projects/:id): its group, or a user's namespace. */
  async namespacePlan(scope: CappedRunnerScope): Promise<string | undefined> {
    try {
      const namespaceId =
        scope.runnerType === "group_type"
          ? scope.groupId
          : (
              (await this.request({
                method: "GET",
                path: `/projects/${scope.projectId}`,
                notFoundOk: true,
              })) as { namespace?: { id?: number } } | undefined
            )?.namespace?.id;
      if (namespaceId === undefined) return undefined;
      const namespace = (await this.request({
        method: "GET",
        path: `/namespaces/${namespaceId}`,
        notFoundOk: true,
      })) as { plan?: string | null } | undefined;
      return namespace?.plan ?? undefined;
    } catch (error) {
      // A namespace the token may not read is one whose plan it cannot know.
      if (error instanceof GitLabApiError && error.status === 403) return undefined;
      throw error;
    }
  }

  /**
   * GET /runners/:id/jobs, newest first: GitLab sorts a runner's jobs by id only with `order_by`
   * given (`sort` alone is ignored). Each job's project is `project.id`. With a deployment set,
   * the runner is read first, as for deleteRunner: a mistaken or tampered record must not get
   * another deployment's jobs marked interrupted (and retried).
   */
  async listRunnerJobs(runnerId: number): Promise<GitlabJob[]> {
    if ((await this.ownership(runnerId)).kind !== "ours") return [];
    const jobs = (await this.request({
      method: "GET",
      path: `/runners/${runnerId}/jobs?order_by=id&sort=desc&per_page=${RUNNER_JOBS_PAGE}`,
      notFoundOk: true,
    })) as (ListedJob & RunnerJobProject)[] | undefined;
    return (jobs ?? []).flatMap((job) => {
      const projectId = job.project?.id ?? job.pipeline?.project_id;
      if (typeof projectId !== "number") return [];
      return [{ ...portJob(job, projectId), runnerId }];
    });
  }

  async projectGroupIds(projectId: number): Promise<number[] | undefined> {
    try {
      // Ancestors only (not groups the project is shared with): those are whose runners it gets.
      const groups = (await this.request({
        method: "GET",
        path: `/projects/${projectId}/groups?per_page=100`,
        notFoundOk: true,
      })) as { id: number }[] | undefined;
      return groups?.map((group) => group.id);
    } catch (error) {
      // A project the token may not read is one whose groups it cannot know.
      if (error instanceof GitLabApiError && error.status === 403) return undefined;
      throw error;
    }
  }

  async listRunners(scope: RunnerScope): Promise<Omit<GitlabRunner, "busy" | "contactedAt">[]> {
    const path =
      scope.runnerType === "instance_type"
        ? "/runners/all?type=instance_type"
        : scope.runnerType === "group_type"
          ? `/groups/${scope.groupId}/runners?type=group_type`
          : `/projects/${scope.projectId}/runners?type=project_type`;
    const runners: ListedRunner[] = [];
    for (let page: number | undefined = 1; page !== undefined; ) {
      const listed: ListedPage<ListedRunner> = await this.requestPage(path, page, 100);
      runners.push(...listed.items);
      page = listed.nextPage;
    }
    return runners.map((runner) => ({
      id: runner.id,
      description: runner.description ?? "",
      status: runner.status ?? "unknown",
    }));
  }

  /**
   * GitLab lists pending jobs newest first and cannot sort them otherwise, so the oldest (the
   * likeliest lost) are on the last pages: page 1 says how many pages there are, then pages are
   * read back from the last until `limit` jobs are in hand. Job ids grow with creation.
   */
  async listPendingJobs(
    projectId: number,
    limit: number,
    { perPage = 100, maxPages = 10 }: PendingJobsPaging = {},
  ): Promise<GitlabJob[]> {
    const path = `/projects/${projectId}/jobs?scope[]=pending`;
    const readPage = (page: number): Promise<ListedPage<ListedJob>> =>
      this.requestPage(path, page, perPage);
    // Page 1, then enough pages for `limit` even when the last one holds a single job.
    const requests = Math.max(maxPages, Math.ceil(limit / perPage) + 2);
    const first = await readPage(1);
    const pages = [first.items];
    if (first.totalPages !== undefined) {
      let older = 0;
      for (let page = first.totalPages; page > 1 && older < limit; page--) {
        if (pages.length >= requests) break;
        const { items } = await readPage(page);
        pages.push(items);
        older += items.length;
      }
    } else {
      // Above 10,000 jobs GitLab does not count them: follow the pages as far as allowed.
      for (let next = first.nextPage; next !== undefined && pages.length < requests; ) {
        const page = await readPage(next);
        pages.push(page.items);
        next = page.nextPage;
      }
    }
    // Jobs shift between pages while they are read, so one may be listed twice.
    const byId = new Map(pages.flat().map((job) => [job.id, job] as const));
    return [...byId.values()]
      .sort((a, b) => a.id - b.id)
      .slice(0, limit)
      .map((job) => portJob(job, projectId));
  }

  async listNewestWaitingJobs(projectId: number, limit: number): Promise<GitlabJob[]> {
    // GitLab lists newest first: page 1 is the newest.
    const { items } = await this.requestPage<ListedJob>(
      `/projects/${projectId}/jobs?scope[]=pending&scope[]=created`,
      1,
      Math.max(1, Math.min(100, limit)),
    );
    return items.map((job) => portJob(job, projectId));
  }

  async retryJob(projectId: number, jobId: number): Promise<GitlabJob> {
    const job = (await this.request({
      method: "POST",
      path: `/projects/${projectId}/jobs/${jobId}/retry`,
    })) as { id: number; status: string; tag_list?: string[] };
    return portJob(job, projectId);
  }

  async listProjectHooks(projectId: number): Promise<ProjectHook[] | undefined> {
    return this.listHooks(`/projects/${projectId}/hooks?per_page=100`);
  }

  async listGroupHooks(groupId: number): Promise<ProjectHook[] | undefined> {
    return this.listHooks(`/groups/${groupId}/hooks?per_page=100`);
  }

  /** Undefined when the token may not read them (403) or the project or group is gone (404). */
  private async listHooks(path: string): Promise<ProjectHook[] | undefined> {
    try {
      const hooks = (await this.request({ method: "GET", path, notFoundOk: true })) as
        | { url: string; alert_status?: string; disabled_until?: string | null }[]
        | undefined;
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
    return job && portJob(job, projectId);
  }

  /**
   * One page of a listing, and where GitLab's paging headers say the listing goes on. Public for
   * readers of other listings (job-history.ts), which page through the same client and budget.
   */
  async requestPage<T>(path: string, page: number, perPage: number): Promise<ListedPage<T>> {
    const separator = path.includes("?") ? "&" : "?";
    const { body, headers } = await this.exchange({
      method: "GET",
      path: `${path}${separator}per_page=${perPage}&page=${page}`,
    });
    const items = body as T[];
    const header = headers.get("x-next-page");
    // Without paging headers (a proxy dropped them), a full page may have a successor.
    const nextPage =
      header === null ? (items.length < perPage ? undefined : page + 1) : pageNumber(header);
    const totalPages = pageNumber(headers.get("x-total-pages"));
    return {
      items,
      ...(nextPage !== undefined && { nextPage }),
      ...(totalPages !== undefined && { totalPages }),
    };
  }

  /**
   * One call through this client's budget, retries and token, for callers of GitLab's API beyond
   * the control plane's (setup-api.ts): the body GitLab answered, undefined for 204 or a 404 allowed.
   */
  async send(request: GitLabRequest): Promise<unknown> {
    return this.request(request);
  }

  private async request(options: GitLabRequest): Promise<unknown> {
    return (await this.exchange(options)).body;
  }

  private async exchange({ method, path, body, notFoundOk }: GitLabRequest): Promise<Answer> {
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
        // Followed, a redirect would carry PRIVATE-TOKEN to whatever host it names.
        redirect: "manual",
      });
      const { headers } = response;
      if (response.status >= 300 && response.status < 400)
        throw new GitLabApiError(
          `GitLab ${method} ${path} answered ${response.status} redirecting to ${headers.get("location") ?? "nowhere"}: redirects are not followed (the token would go with them); set gitlab_url to the address GitLab serves its API on`,
          response.status,
        );
      if (response.ok)
        return { body: response.status === 204 ? undefined : await response.json(), headers };
      if (response.status === 404 && notFoundOk) return { body: undefined, headers };
      if (response.status === 429) this.options.onThrottle?.();
      const retryAfter = retryAfterSeconds(headers.get("retry-after"));
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
