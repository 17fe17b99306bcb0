import type { GitlabJobStatus } from "../../jobs/job-status";
import type { CreateRunnerRequest } from "../../ports/gitlab";

/** A runner as GitLab keeps it. */
export interface GitlabModelRunner {
  readonly id: number;
  /** The glrt- token it authenticates with. */
  readonly token: string;
  readonly runnerType: CreateRunnerRequest["runnerType"];
  readonly groupId?: number;
  readonly projectId?: number;
  readonly description: string;
  readonly tagList: readonly string[];
  readonly runUntagged: boolean;
  readonly maximumTimeout?: number;
  readonly accessLevel: CreateRunnerRequest["accessLevel"];
  /** It takes no job (POST /user/runners with paused: true); GitLab still counts its contacts. */
  readonly paused?: boolean;
  readonly createdAt: Date;
  /** When it last called GitLab: asked for a job, verified its token, reported its job. */
  readonly contactedAt?: Date;
}

export type RunnerFields = Omit<GitlabModelRunner, "id" | "token" | "createdAt" | "contactedAt">;

/** A runner as GitLab reports it now. */
export interface RunnerFacts {
  readonly runner: GitlabModelRunner;
  readonly status: string;
  readonly contactedAt?: Date;
  /** It is running a job. */
  readonly busy: boolean;
}

/** Which runners a listing shows (GET /runners/all, /groups/:id/runners, /projects/:id/runners). */
export interface RunnerFilter {
  readonly runnerType?: string;
  readonly groupId?: number;
  readonly projectId?: number;
}

/**
 * A job as GitLab keeps it. What only the double shows is optional, so that a test may set a
 * job GitLab already has straight into the map.
 */
export interface GitlabModelJob {
  readonly id: number;
  readonly projectId: number;
  readonly status: GitlabJobStatus;
  readonly tagList: readonly string[];
  readonly name?: string;
  /** The pipeline it belongs to, and its stage's name. */
  readonly pipelineId?: number;
  readonly stage?: string;
  readonly createdAt?: Date;
  /** When it became pending: a later stage's job waits `created` until its stage's turn. */
  readonly queuedAt?: Date;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  /** The runner that took it. */
  readonly runnerId?: number;
  /** The token its runner reports the job with. */
  readonly jobToken?: string;
  /** A retry was made of it: GitLab retries a job once. */
  readonly retried?: boolean;
  /** How many runs of it came before (GitLab's retries_count): 1 for a retry. */
  readonly retriesCount?: number;
  /** How long a simulated runner runs its script, in seconds. */
  readonly durationSeconds?: number;
}

export interface EnqueueRequest {
  readonly projectId: number;
  /** The project's group, whose runners may take its jobs; a project is in none unless told. */
  readonly groupId?: number;
  /** The job's id, where a test names it; by default the next above every id GitLab has used. */
  readonly id?: number;
  readonly tags?: readonly string[];
  readonly name?: string;
  readonly pipelineId?: number;
  readonly stage?: string;
  /** Runs of it before this one (a retry's); none by default. */
  readonly retriesCount?: number;
  readonly durationSeconds?: number;
  /**
   * False: the job stays `created` (a later stage of its pipeline) until `release` makes it pending.
   * Default true.
   */
  readonly pending?: boolean;
}

/** Job ids, ascending. GitLab hands ids out in order, so most additions append. */
class SortedIds {
  private readonly ids: number[] = [];

  add(id: number): void {
    const last = this.ids.at(-1);
    if (last === undefined || id > last) this.ids.push(id);
    else this.ids.splice(this.lowerBound(id), 0, id);
  }

  remove(id: number): void {
    const at = this.lowerBound(id);
    if (this.ids[at] === id) this.ids.splice(at, 1);
  }

  ascending(): readonly number[] {
    return this.ids;
  }

  clear(): void {
    this.ids.length = 0;
  }

  private lowerBound(id: number): number {
    let low = 0;
    let high = this.ids.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.ids[middle] ?? Number.POSITIVE_INFINITY) < id) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** Job ids by an owner (a project, a runner), then by status. */
class JobIdsByOwner {
  private readonly owners = new Map<number, Map<string, SortedIds>>();

  add(owner: number, status: string, id: number): void {
    const byStatus = this.owners.get(owner) ?? new Map<string, SortedIds>();
    this.owners.set(owner, byStatus);
    const ids = byStatus.get(status) ?? new SortedIds();
    byStatus.set(status, ids);
    ids.add(id);
  }

  remove(owner: number, status: string, id: number): void {
    this.owners.get(owner)?.get(status)?.remove(id);
  }

  /** The owner's job ids in `statuses` (all, when none), highest first. */
  newestFirst(owner: number, statuses: readonly string[]): number[] {
    const byStatus = this.owners.get(owner);
    if (!byStatus) return [];
    const lists =
      statuses.length === 0
        ? [...byStatus.values()]
        : [...new Set(statuses)].flatMap((status) => byStatus.get(status) ?? []);
    const [only, ...others] = lists;
    if (!only) return [];
    if (others.length === 0) return [...only.ascending()].reverse();
    return lists.flatMap((ids) => ids.ascending()).sort((a, b) => b - a);
  }

  clear(): void {
    this.owners.clear();
  }
}

/**
 * GitLab's jobs table: a Map (tests read it, and set or delete jobs in it straight) that keeps
 * its indexes on every write, so /jobs/request, a runner's jobs and a project's listing read
 * only the jobs they answer with.
 */
export class GitlabJobTable extends Map<number, GitlabModelJob> {
  /** Ids are never reused: the next job gets the one after the highest ever set. */
  private highest: number;
  private readonly pending = new SortedIds();
  private readonly byProject = new JobIdsByOwner();
  private readonly byRunner = new JobIdsByOwner();

  constructor(firstId: number) {
    super();
    this.highest = firstId - 1;
  }

  nextId(): number {
    return this.highest + 1;
  }

  override set(id: number, job: GitlabModelJob): this {
    const before = this.get(id);
    super.set(id, job);
    this.highest = Math.max(this.highest, id);
    // A write that keeps status, project and runner (the retried mark) moves the job in no index.
    if (
      before?.status === job.status &&
      before.projectId === job.projectId &&
      before.runnerId === job.runnerId
    )
      return this;
    if (before) this.unindex(id, before);
    this.index(id, job);
    return this;
  }

  override delete(id: number): boolean {
    const before = this.get(id);
    if (before) this.unindex(id, before);
    return super.delete(id);
  }

  override clear(): void {
    super.clear();
    for (const index of [this.pending, this.byProject, this.byRunner]) index.clear();
  }

  /** The pending jobs, lowest id first: the order /jobs/request hands them out in. */
  *pendingLowestIdFirst(): Generator<GitlabModelJob> {
    for (const id of this.pending.ascending()) {
      const job = this.get(id);
      if (job) yield job;
    }
  }

  /** A project's jobs in `statuses` (all, when none), newest first. */
  ofProject(projectId: number, statuses: readonly string[]): GitlabModelJob[] {
    return this.jobsOf(this.byProject.newestFirst(projectId, statuses));
  }

  /** The jobs a runner took in `statuses` (all, when none), newest first. */
  ofRunner(runnerId: number, statuses: readonly string[]): GitlabModelJob[] {
    return this.jobsOf(this.byRunner.newestFirst(runnerId, statuses));
  }

  private jobsOf(ids: readonly number[]): GitlabModelJob[] {
    return ids.flatMap((id) => this.get(id) ?? []);
  }

  private index(id: number, job: GitlabModelJob): void {
    if (job.status === "pending") this.pending.add(id);
    this.byProject.add(job.projectId, job.status, id);
    if (job.runnerId !== undefined) this.byRunner.add(job.runnerId, job.status, id);
  }

  private unindex(id: number, job: GitlabModelJob): void {
    if (job.status === "pending") this.pending.remove(id);
    this.byProject.remove(job.projectId, job.status, id);
    if (job.runnerId !== undefined) this.byRunner.remove(job.runnerId, job.status, id);
  }
}

/** GitLab's runners table: a Map that keeps a runner's token findable, however it is written. */
export class GitlabRunnerTable extends Map<number, GitlabModelRunner> {
  private readonly idByToken = new Map<string, number>();

  override set(id: number, runner: GitlabModelRunner): this {
    const before = this.get(id);
    if (before && before.token !== runner.token) this.idByToken.delete(before.token);
    super.set(id, runner);
    this.idByToken.set(runner.token, id);
    return this;
  }

  override delete(id: number): boolean {
    const before = this.get(id);
    if (before) this.idByToken.delete(before.token);
    return super.delete(id);
  }

  override clear(): void {
    super.clear();
    this.idByToken.clear();
  }

  byToken(token: string): GitlabModelRunner | undefined {
    const id = this.idByToken.get(token);
    return id === undefined ? undefined : this.get(id);
  }
}
