import type { GitlabJobStatus } from "../jobs/job-status";

/** Parameters of POST /api/v4/user/runners that this project sets. */
export interface CreateRunnerRequest {
  readonly runnerType: "instance_type" | "group_type" | "project_type";
  readonly groupId?: number;
  readonly projectId?: number;
  readonly description: string;
  readonly tagList: readonly string[];
  readonly runUntagged: boolean;
  readonly maximumTimeout: number;
  readonly accessLevel: "not_protected" | "ref_protected";
}

export interface CreatedRunner {
  readonly id: number;
  /** The `glrt-` authentication token, shown by GitLab only once. */
  readonly token: string;
}

/** GitLab's runner-management API, as far as the control plane uses it. */
/** Where a pool's runners live in GitLab, for listing them. */
export type RunnerScope =
  | { readonly runnerType: "instance_type" }
  | { readonly runnerType: "group_type"; readonly groupId: number }
  | { readonly runnerType: "project_type"; readonly projectId: number };

/** A scope GitLab caps the registered runners of: a group or a project. */
export type CappedRunnerScope = Exclude<RunnerScope, { readonly runnerType: "instance_type" }>;

export interface GitlabRunner {
  readonly id: number;
  readonly description: string;
  /** online, offline, stale or never_contacted. */
  readonly status: string;
  readonly contactedAt?: string;
  /** GitLab says the runner is running a job right now. */
  readonly busy: boolean;
}

export interface RunnerRegistry {
  createRunner(request: CreateRunnerRequest): Promise<CreatedRunner>;
  /** Deletes the runner (not just its manager); a runner already gone is not an error. */
  deleteRunner(runnerId: number): Promise<void>;
  /**
   * POST /runners/:id/reset_authentication_token: a new `glrt-` token, the old one refused from
   * now on. Undefined when GitLab no longer has the runner (or, with a deployment set, as for
   * deleteRunner, when its description does not name the deployment).
   */
  resetRunnerToken(runnerId: number): Promise<string | undefined>;
  /** Undefined when GitLab no longer has it. */
  getRunner(runnerId: number): Promise<GitlabRunner | undefined>;
  /**
   * The plan of the namespace a group or project runner is registered in (GET /namespaces/:id
   * `plan`, the top-level group's on gitlab.com): what sets its registered-runner cap there.
   * Undefined when GitLab does not show it (only the namespace's Owners see it) or has no such
   * namespace.
   */
  namespacePlan(scope: CappedRunnerScope): Promise<string | undefined>;
  /** The runners in a scope (ids and descriptions; status as listed). */
  listRunners(scope: RunnerScope): Promise<Omit<GitlabRunner, "busy" | "contactedAt">[]>;
  /**
   * The jobs GitLab lists for the runner (GET /runners/:id/jobs), newest first, one page of at
   * most RUNNER_JOBS_PAGE: our runners are ephemeral, one job each, so that is its job. Unlike
   * GET /runners/:id's `busy`, the listing says at once which job the runner took. Empty when
   * GitLab no longer has the runner, or (with a deployment set, as for deleteRunner) when its
   * description does not name the deployment.
   */
  listRunnerJobs(runnerId: number): Promise<GitlabJob[]>;
}

/** Jobs per listing of a runner's jobs: ours run one each, the rest is margin. */
export const RUNNER_JOBS_PAGE = 10;

export interface GitlabJob {
  readonly id: number;
  readonly projectId: number;
  readonly status: GitlabJobStatus | string;
  readonly tagList: readonly string[];
  /** The runner that took it, once one has (GitLab's `runner.id`). */
  readonly runnerId?: number;
  /** When a runner took it (ISO 8601). */
  readonly startedAt?: string;
}

/** How a listing of pending jobs reads GitLab's pages. */
export interface PendingJobsPaging {
  /** Jobs per request, 1 to 100 (GitLab's most); default 100. */
  readonly perPage?: number;
  /**
   * Requests at most, default 10; never fewer than `limit` needs. GitLab omits its page count
   * above 10,000 jobs: then pages are followed from the newest and the oldest seen are returned.
   */
  readonly maxPages?: number;
}

/** GitLab's job API: what a job asks for, which the Job Hook does not say. */
export interface JobsApi {
  /** Undefined when GitLab answers 404: the token cannot see the project, or the job was erased. */
  getJob(projectId: number, jobId: number): Promise<GitlabJob | undefined>;
  /**
   * The OLDEST `limit` of a project's pending jobs, oldest first: those most likely lost, where
   * GET /projects/:id/jobs?scope[]=pending lists newest first. Fewer than `limit` only when that
   * is all of them.
   */
  listPendingJobs(
    projectId: number,
    limit: number,
    paging?: PendingJobsPaging,
  ): Promise<GitlabJob[]>;
  /**
   * The NEWEST `limit` (at most 100) of a project's pending and created jobs (a pipeline's later
   * stages), newest first, in one request: the jobs whose tags the scaler has not read yet are
   * the ones that just arrived, and the later stages' tags are known before they are pending.
   */
  listNewestWaitingJobs(projectId: number, limit: number): Promise<GitlabJob[]>;
  /**
   * The ids of the project's group and of every group above it (GET /projects/:id/groups), which
   * decide whether a group runner may take its jobs; undefined when GitLab does not show the project.
   */
  projectGroupIds(projectId: number): Promise<number[] | undefined>;
  /** Retries a finished job; GitLab makes a new, pending job and returns it. */
  retryJob(projectId: number, jobId: number): Promise<GitlabJob>;
}

/** A project's webhook as GET /projects/:id/hooks shows it. */
export interface ProjectHook {
  readonly url: string;
  /** executable, temporarily_disabled or disabled: GitLab disables project hooks that keep failing. */
  readonly alertStatus: string;
  readonly disabledUntil?: string;
}

/** Reading a project's hooks needs the Maintainer role; without it the watchdog infers instead. */
export interface HooksApi {
  /** Undefined when the token may not read them (403) or the project is gone (404). */
  listProjectHooks(projectId: number): Promise<ProjectHook[] | undefined>;
  /** A group's hooks (GET /groups/:id/hooks, Owner role); undefined as for projects. */
  listGroupHooks(groupId: number): Promise<ProjectHook[] | undefined>;
}
