import type { JobEvent } from "../../jobs/job-event";
import {
  applyJobEvent,
  type JobAnnotations,
  type JobEventOutcome,
  type JobRecord,
  RETRY_CLAIM_SECONDS,
  type RetrySettlement,
} from "../../jobs/job-record";
import type { JobStatus } from "../../jobs/job-status";
import {
  LOOKAHEAD_STATUSES,
  PIPELINE_HALT_RETENTION_SECONDS,
  type PipelineDemand,
  type PipelineHalt,
  type PipelineRetry,
} from "../../jobs/pipeline-halt";
import {
  PROJECT_ACTIVITY_REFRESH_SECONDS,
  type ProjectActivity,
} from "../../jobs/project-activity";
import type { DemandStore } from "../../ports/demand-store";

/** The pending GSI's order: oldest first (createdAt, else the hook's receipt), then by id. */
const byCreatedAt = (a: JobRecord, b: JobRecord): number => {
  const since = (job: JobRecord) => job.createdAt ?? job.updatedAt;
  // Plain comparison: the byte order the index sorts its keys in, and cheaper than localeCompare.
  if (since(a) !== since(b)) return since(a) < since(b) ? -1 : 1;
  return a.jobId - b.jobId;
};

/** The index's sort key: a time (ISO 8601), then the id, padded so that it sorts as a number. */
const sortKey = (at: string, id: number) => `${at}#${String(id).padStart(16, "0")}`;

const LOOKAHEAD = new Set<JobStatus>(LOOKAHEAD_STATUSES);

/** Whether lookahead reads the job: what the index partitions of LOOKAHEAD_STATUSES hold of it. */
const readByLookahead = (job: JobRecord) =>
  LOOKAHEAD.has(job.status) && job.pipelineId !== undefined;

interface Entry<T> {
  readonly id: number;
  readonly key: string;
  value: T;
}

/**
 * Values by id, in the order of their sort keys, read from a key on as a range query of the index
 * reads: without a look at the entries before it. Entries come mostly in key order (jobs are made
 * in time order), so a filing is mostly an append; a value re-filed or removed leaves its entry
 * behind, skipped when read and dropped once they are as many as the live ones.
 */
class SortedIndex<T> {
  private entries: Entry<T>[] = [];
  private readonly current = new Map<number, Entry<T>>();

  set(id: number, key: string, value: T): void {
    const filed = this.current.get(id);
    if (filed?.key === key) {
      filed.value = value;
      return;
    }
    const entry = { id, key, value };
    this.current.set(id, entry);
    const last = this.entries[this.entries.length - 1];
    if (last === undefined || last.key <= key) this.entries.push(entry);
    else this.entries.splice(this.firstAtOrAfter(key), 0, entry);
    this.compact();
  }

  get(id: number): T | undefined {
    return this.current.get(id)?.value;
  }

  delete(id: number): void {
    if (this.current.delete(id)) this.compact();
  }

  /** The values whose keys are at or after `key`, in key order. */
  from(key: string): T[] {
    const values: T[] = [];
    for (let i = this.firstAtOrAfter(key); i < this.entries.length; i++) {
      const entry = this.entries[i] as Entry<T>;
      if (this.current.get(entry.id) === entry) values.push(entry.value);
    }
    return values;
  }

  /** Removes the values at the front of the key order for as long as `drop` holds for them. */
  dropOldestWhile(drop: (value: T) => boolean): void {
    let count = 0;
    for (const entry of this.entries) {
      const live = this.current.get(entry.id) === entry;
      if (live && !drop(entry.value)) break;
      if (live) this.current.delete(entry.id);
      count += 1;
    }
    if (count > 0) this.entries.splice(0, count);
  }

  private firstAtOrAfter(key: string): number {
    let [low, high] = [0, this.entries.length];
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.entries[middle] as Entry<T>).key < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Drops the stale entries once they outnumber the live ones: amortized, a constant per write. */
  private compact(): void {
    const stale = this.entries.length - this.current.size;
    if (stale <= 64 || stale <= this.current.size) return;
    this.entries = this.entries.filter((entry) => this.current.get(entry.id) === entry);
  }
}

/** The halt as DynamoDB's item gives it back: its own fields, none undefined. */
const storedHalt = (halt: PipelineHalt): PipelineHalt => ({
  pipelineId: halt.pipelineId,
  projectId: halt.projectId,
  jobId: halt.jobId,
  ...(halt.name !== undefined && { name: halt.name }),
  ...(halt.stage !== undefined && { stage: halt.stage }),
  haltedAt: halt.haltedAt,
});

const haltExpiresAt = (halt: PipelineHalt) =>
  Math.floor(Date.parse(halt.haltedAt) / 1000) + PIPELINE_HALT_RETENTION_SECONDS;

/** DemandStore in memory, for the simulator and unit tests; same state rule as DynamoDB's. */
export class InMemoryDemandStore implements DemandStore {
  private readonly jobs = new Map<number, JobRecord>();
  /** What the pending GSI partition holds: the pending jobs, in the order they became pending. */
  private readonly pending = new Map<number, JobRecord>();
  private readonly projects = new Map<number, ProjectActivity>();
  /** What the retries-due partition of the index holds: jobs owed a retry. */
  private readonly retriesDue = new Map<number, JobRecord>();
  /** What the partitions of LOOKAHEAD_STATUSES hold of jobs with a pipeline, by creation. */
  private readonly lookahead = new SortedIndex<JobRecord>();
  /** The latest halt of each pipeline, by when it was noted (the halts' index partition). */
  private readonly halts = new SortedIndex<PipelineHalt>();
  /** Halts lifted by a retry, kept as DynamoDB keeps their items (out of the index) till expiry. */
  private readonly lifted = new Map<number, PipelineHalt>();

  async recordJobEvent(
    event: JobEvent,
    receivedAt: Date,
    annotations?: JobAnnotations,
  ): Promise<JobEventOutcome> {
    const outcome = applyJobEvent(this.jobs.get(event.jobId), event, receivedAt, annotations);
    if (outcome.kind === "recorded") this.put(outcome.record);
    return outcome;
  }

  /** The job as stored now: what a stream's new image of it shows (the simulator's stream reads it). */
  peek(jobId: number): JobRecord | undefined {
    return this.jobs.get(jobId);
  }

  async listPendingJobs(now: Date): Promise<JobRecord[]> {
    const live = this.unexpired(this.pending.values(), now);
    // Jobs mostly become pending oldest first, so the sort mostly meets one run already in order.
    return live.sort(byCreatedAt);
  }

  async annotateJob(jobId: number, annotations: JobAnnotations): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job) this.put({ ...job, ...annotations });
  }

  async claimJobRetry(jobId: number, now: Date): Promise<boolean> {
    const job = this.jobs.get(jobId);
    if (job?.status !== "failed" || job.retriedAs !== undefined || job.retryRefused !== undefined)
      return false;
    const expiredBefore = now.getTime() - RETRY_CLAIM_SECONDS * 1000;
    if (job.retryClaimedAt !== undefined && Date.parse(job.retryClaimedAt) >= expiredBefore)
      return false;
    const at = now.toISOString();
    this.put({ ...job, retryDueSince: job.retryDueSince ?? at, retryClaimedAt: at });
    return true;
  }

  async settleJobRetry(jobId: number, settlement: RetrySettlement): Promise<void> {
    const job = this.jobs.get(jobId);
    if (!job) return;
    const { retryDueSince: _due, retryClaimedAt: _claimed, ...settled } = job;
    this.put({ ...settled, ...settlement });
  }

  async listRetriesDue(now: Date): Promise<JobRecord[]> {
    const since = (job: JobRecord) => job.retryDueSince as string;
    return this.unexpired(this.retriesDue.values(), now).sort((a, b) =>
      since(a) === since(b) ? a.jobId - b.jobId : since(a) < since(b) ? -1 : 1,
    );
  }

  async listPipelineDemand(now: Date, since: Date): Promise<PipelineDemand> {
    const from = since.toISOString();
    const jobs = this.unexpired(this.lookahead.from(from), now);
    const nowSeconds = Math.floor(now.getTime() / 1000);
    // Halts expire in the order they were noted (as DynamoDB's TTL deletes them, later).
    this.halts.dropOldestWhile((halt) => haltExpiresAt(halt) <= nowSeconds);
    for (const [pipelineId, halt] of this.lifted)
      if (haltExpiresAt(halt) <= nowSeconds) this.lifted.delete(pipelineId);
    return { jobs, halts: this.halts.from(from) };
  }

  async notePipelineHalt(halt: PipelineHalt): Promise<void> {
    const noted = this.halts.get(halt.pipelineId) ?? this.lifted.get(halt.pipelineId);
    // A later halt of the pipeline (a retry that failed too) stays, listed or lifted.
    if (noted !== undefined && noted.haltedAt > halt.haltedAt) return;
    this.lifted.delete(halt.pipelineId);
    this.halts.set(halt.pipelineId, sortKey(halt.haltedAt, halt.pipelineId), storedHalt(halt));
  }

  async liftPipelineHalt(retry: PipelineRetry): Promise<void> {
    const noted = this.halts.get(retry.pipelineId);
    if (
      noted === undefined ||
      noted.jobId >= retry.jobId ||
      noted.name !== retry.name ||
      noted.stage !== retry.stage
    )
      return;
    this.halts.delete(retry.pipelineId);
    this.lifted.set(retry.pipelineId, noted);
  }

  async noteProjectActivity(projectId: number, at: Date): Promise<void> {
    const known = this.projects.get(projectId);
    const refreshBefore = at.getTime() - PROJECT_ACTIVITY_REFRESH_SECONDS * 1000;
    if (known && Date.parse(known.lastJobEventAt) >= refreshBefore) return;
    this.projects.set(projectId, { projectId, lastJobEventAt: at.toISOString() });
  }

  async listJobs(now: Date): Promise<JobRecord[]> {
    return this.unexpired(this.jobs.values(), now);
  }

  async listActiveProjects(since: Date): Promise<ProjectActivity[]> {
    return [...this.projects.values()].filter(
      (project) => Date.parse(project.lastJobEventAt) >= since.getTime(),
    );
  }

  /** The one write: keeps the index partitions in step with the job. */
  private put(job: JobRecord): void {
    this.jobs.set(job.jobId, job);
    if (job.status === "pending") this.pending.set(job.jobId, job);
    else this.pending.delete(job.jobId);
    if (job.retryDueSince !== undefined) this.retriesDue.set(job.jobId, job);
    else this.retriesDue.delete(job.jobId);
    if (readByLookahead(job))
      this.lookahead.set(job.jobId, sortKey(job.createdAt ?? job.updatedAt, job.jobId), job);
    else this.lookahead.delete(job.jobId);
  }

  /**
   * The jobs whose TTL has not passed. Those whose TTL has, this deletes, as DynamoDB's TTL does
   * (later): expired records would otherwise pile up in a long simulation.
   */
  private unexpired(jobs: Iterable<JobRecord>, now: Date): JobRecord[] {
    const nowSeconds = now.getTime() / 1000;
    const live: JobRecord[] = [];
    for (const job of jobs) {
      if (job.expiresAt > nowSeconds) live.push(job);
      else {
        this.jobs.delete(job.jobId);
        this.pending.delete(job.jobId);
        this.retriesDue.delete(job.jobId);
        this.lookahead.delete(job.jobId);
      }
    }
    return live;
  }
}
