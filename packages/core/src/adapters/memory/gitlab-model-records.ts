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
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  /** The runner that took it. */
  readonly runnerId?: number;
  /** The token its runner reports the job with. */
  readonly jobToken?: string;
  /** A retry was made of it: GitLab retries a job once. */
  readonly retried?: boolean;
  /** How long a simulated runner runs its script, in seconds. */
  readonly durationSeconds?: number;
}

export interface EnqueueRequest {
  readonly projectId: number;
  /** The project's group, whose runners may take its jobs; a project is in none unless told. */
  readonly groupId?: number;
  /** The job's id, where a test names it; by default the next above every job's. */
  readonly id?: number;
  readonly tags?: readonly string[];
  readonly name?: string;
  readonly pipelineId?: number;
  readonly stage?: string;
  readonly durationSeconds?: number;
  /**
   * False: the job stays `created` (a later stage of its pipeline) until `release` makes it pending.
   * Default true.
   */
  readonly pending?: boolean;
}
