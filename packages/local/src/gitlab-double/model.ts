import { randomBytes, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";

export type DoubleJobStatus = "created" | "pending" | "running" | "success" | "failed" | "canceled";

export interface DoubleJob {
  readonly id: number;
  readonly projectId: number;
  readonly name: string;
  readonly stage: string;
  readonly ref: string;
  readonly pipelineId: number;
  readonly tags: readonly string[];
  /** How long the simulated script runs, in seconds. */
  readonly durationSeconds: number;
  readonly createdAt: Date;
  status: DoubleJobStatus;
  startedAt?: Date;
  finishedAt?: Date;
  runnerId?: number;
  jobToken?: string;
}

export interface DoubleRunner {
  readonly id: number;
  readonly token: string;
  readonly description: string;
  readonly runnerType: string;
  readonly groupId?: number;
  readonly projectId?: number;
  readonly tags: readonly string[];
  readonly runUntagged: boolean;
  readonly maximumTimeout?: number;
  readonly createdAt: Date;
  contactedAt?: Date;
}

export interface EnqueueRequest {
  readonly projectId: number;
  readonly tags?: readonly string[];
  readonly durationSeconds?: number;
  readonly name?: string;
}

/**
 * What the GitLab double knows: jobs and runners, and GitLab's rules between them (which runner
 * may take which job). Emits "job" whenever a job changes status, for the webhook sender.
 */
export class GitlabDoubleModel extends EventEmitter<{ job: [DoubleJob] }> {
  readonly jobs = new Map<number, DoubleJob>();
  readonly runners = new Map<number, DoubleRunner>();
  /** The hooks every project has (the double sends one hook for all of them). */
  readonly hooks: {
    url: string;
    alertStatus: "executable" | "temporarily_disabled" | "disabled";
  }[] = [];
  private nextJobId = 4_000_000_001; // above 2^31, as on gitlab.com
  private nextRunnerId = 1;

  enqueue(request: EnqueueRequest): DoubleJob {
    const id = this.nextJobId++;
    const job: DoubleJob = {
      id,
      projectId: request.projectId,
      name: request.name ?? `job-${id}`,
      stage: "test",
      ref: "main",
      pipelineId: id,
      tags: request.tags ?? [],
      durationSeconds: request.durationSeconds ?? 5,
      createdAt: new Date(),
      status: "created",
    };
    this.jobs.set(id, job);
    this.setStatus(job, "created");
    this.setStatus(job, "pending");
    return job;
  }

  createRunner(fields: Omit<DoubleRunner, "id" | "token" | "createdAt">): DoubleRunner {
    const runner = {
      ...fields,
      id: this.nextRunnerId++,
      token: `glrt-${randomBytes(12).toString("hex")}`,
      createdAt: new Date(),
    };
    this.runners.set(runner.id, runner);
    return runner;
  }

  runnerByToken(token: string | undefined): DoubleRunner | undefined {
    return [...this.runners.values()].find((runner) => runner.token === token);
  }

  /** GitLab's matching rule: (run_untagged or the job has tags) and job tags ⊆ runner tags. */
  private canTake(runner: DoubleRunner, job: DoubleJob): boolean {
    return (
      (runner.runUntagged || job.tags.length > 0) &&
      job.tags.every((tag) => runner.tags.includes(tag))
    );
  }

  /** POST /jobs/request: the oldest pending job this runner may take, now running on it. */
  assignJob(runner: DoubleRunner): DoubleJob | undefined {
    runner.contactedAt = new Date();
    const job = [...this.jobs.values()].find(
      (candidate) => candidate.status === "pending" && this.canTake(runner, candidate),
    );
    if (!job) return undefined;
    job.runnerId = runner.id;
    job.jobToken = `glcbt-${randomUUID()}`;
    job.startedAt = new Date();
    this.setStatus(job, "running");
    return job;
  }

  /** POST /projects/:id/jobs/:job_id/retry: a new job like the old one, pending. */
  retry(job: DoubleJob): DoubleJob {
    return this.enqueue({
      projectId: job.projectId,
      tags: job.tags,
      durationSeconds: job.durationSeconds,
      name: job.name,
    });
  }

  finishJob(job: DoubleJob, status: "success" | "failed" | "canceled"): void {
    job.finishedAt = new Date();
    this.setStatus(job, status);
  }

  private setStatus(job: DoubleJob, status: DoubleJobStatus) {
    job.status = status;
    this.emit("job", { ...job });
  }
}
