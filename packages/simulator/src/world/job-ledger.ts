import type { GitlabModelJob } from "@ger/core";

interface JobTimes {
  pendingAtMs?: number;
  startedAtMs?: number;
  /** When its script started on an instance, where that is later than GitLab's `running`. */
  scriptAtMs?: number;
  finishedAtMs?: number;
}

/** Every job's pending, start and end instants, and how many are pending or running now. */
export class JobLedger {
  private readonly times = new Map<number, JobTimes>();
  pending = 0;
  running = 0;
  finished = 0;

  /** Follows one status change of a job (the GitLab model's "job" event). */
  observe(job: GitlabModelJob, nowMs: number): void {
    let times = this.times.get(job.id);
    if (!times) {
      times = {};
      this.times.set(job.id, times);
    }
    if (job.status === "pending" && times.pendingAtMs === undefined) {
      times.pendingAtMs = nowMs;
      this.pending += 1;
    } else if (job.status === "running" && times.startedAtMs === undefined) {
      times.startedAtMs = nowMs;
      this.pending -= 1;
      this.running += 1;
    } else if (
      (job.status === "success" || job.status === "failed" || job.status === "canceled") &&
      times.finishedAtMs === undefined
    ) {
      times.finishedAtMs = nowMs;
      if (times.startedAtMs !== undefined) this.running -= 1;
      else if (times.pendingAtMs !== undefined) this.pending -= 1;
      this.finished += 1;
    }
  }

  /** The job's script started on an instance (a manager may take a job before it has one). */
  started(jobId: number, nowMs: number): void {
    const times = this.times.get(jobId);
    if (times && times.scriptAtMs === undefined) times.scriptAtMs = nowMs;
  }

  /** Pending → script start, in seconds, of every job that ran, ascending. */
  waits(): number[] {
    return [...this.waitsByJob()].map(([, wait]) => wait).sort((a, b) => a - b);
  }

  /** Each job that ran, by id, with its wait (pending → script start) in seconds. */
  *waitsByJob(): Generator<[jobId: number, waitS: number]> {
    for (const [jobId, { pendingAtMs, startedAtMs, scriptAtMs }] of this.times) {
      const start = scriptAtMs ?? startedAtMs;
      if (pendingAtMs !== undefined && start !== undefined)
        yield [jobId, (start - pendingAtMs) / 1000];
    }
  }

  /** Jobs that became pending and never started. */
  neverRan(): number {
    let count = 0;
    for (const { pendingAtMs, startedAtMs } of this.times.values())
      if (pendingAtMs !== undefined && startedAtMs === undefined) count += 1;
    return count;
  }

  /** Every job has finished (or none was seen). */
  get settled(): boolean {
    return this.pending === 0 && this.running === 0;
  }
}
