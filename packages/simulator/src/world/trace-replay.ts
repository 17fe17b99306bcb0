import type { GitlabModel, GitlabModelJob } from "@ger/core";
import type { TraceJob } from "../trace/trace-job";
import type { VirtualTime } from "./virtual-time";

interface Stage {
  readonly index: number;
  /** GitLab's ids of the stage's jobs that have not finished yet. */
  readonly unfinished: Set<number>;
  readonly jobIds: number[];
}

/**
 * GitLab's side of a trace: each job created at its `created_at` (a pipeline's jobs all at once),
 * pending at once or, in a pipeline, when every job of the earlier stages has finished (GitLab's
 * stage order; a failed job releases the next stage too, as with `allow_failure`). GitLab gives
 * the ids, in creation order, so retries made during the run never collide with the trace's.
 */
export class TraceReplay {
  private readonly order: TraceJob[][];
  private next = 0;
  private readonly stagesOfPipeline = new Map<number, Stage[]>();
  private readonly stageOfJob = new Map<number, { pipeline: number; stage: Stage }>();
  /** GitLab's job id → the trace's. */
  readonly traceIdOf = new Map<number, number>();

  constructor(
    private readonly time: VirtualTime,
    private readonly model: GitlabModel,
    jobs: readonly TraceJob[],
  ) {
    this.order = groupByArrival(jobs);
    model.on("job", (job) => this.onJobChange(job));
  }

  /** Schedules the trace's arrivals, one after another. */
  start(): void {
    this.scheduleNext();
  }

  get lastArrivalMs(): number {
    const last = this.order[this.order.length - 1]?.[0];
    return last ? last.createdAt.getTime() : this.time.nowMillis;
  }

  get allArrived(): boolean {
    return this.next >= this.order.length;
  }

  private scheduleNext(): void {
    const group = this.order[this.next];
    if (!group) return;
    this.time.at((group[0] as TraceJob).createdAt.getTime(), () => {
      this.next += 1;
      this.arrive(group);
      this.scheduleNext();
    });
  }

  private arrive(group: readonly TraceJob[]): void {
    const pipelineId = group[0]?.pipelineId;
    if (pipelineId === undefined) {
      for (const job of group) this.create(job, true);
      return;
    }
    const byStage = new Map<number, TraceJob[]>();
    for (const job of group)
      byStage.set(job.stage ?? 0, [...(byStage.get(job.stage ?? 0) ?? []), job]);
    const stages: Stage[] = [...byStage.keys()]
      .sort((a, b) => a - b)
      .map((index) => {
        const jobIds = (byStage.get(index) ?? []).map((job) => this.create(job, false).id);
        return { index, unfinished: new Set(jobIds), jobIds };
      });
    this.stagesOfPipeline.set(pipelineId, stages);
    for (const stage of stages)
      for (const id of stage.jobIds) this.stageOfJob.set(id, { pipeline: pipelineId, stage });
    this.release(stages[0]);
  }

  private create(job: TraceJob, pending: boolean): GitlabModelJob {
    const created = this.model.enqueue({
      projectId: job.projectId,
      tags: job.tags,
      durationSeconds: job.durationS,
      pending,
      ...(job.name !== undefined && { name: job.name }),
      ...(job.pipelineId !== undefined && { pipelineId: job.pipelineId }),
      ...(job.stage !== undefined && { stage: `stage-${job.stage}` }),
    });
    this.traceIdOf.set(created.id, job.jobId);
    return created;
  }

  private release(stage: Stage | undefined): void {
    for (const id of stage?.jobIds ?? []) this.model.release(id);
  }

  private onJobChange(job: GitlabModelJob): void {
    if (job.status !== "success" && job.status !== "failed" && job.status !== "canceled") return;
    const place = this.stageOfJob.get(job.id);
    if (!place) return;
    this.stageOfJob.delete(job.id);
    place.stage.unfinished.delete(job.id);
    if (place.stage.unfinished.size > 0) return;
    const stages = this.stagesOfPipeline.get(place.pipeline) ?? [];
    const following = stages[stages.indexOf(place.stage) + 1];
    if (following) this.release(following);
    else this.stagesOfPipeline.delete(place.pipeline);
  }
}

/** Arrivals in time order: a pipeline's jobs arrive together, at its earliest created_at. */
const groupByArrival = (jobs: readonly TraceJob[]): TraceJob[][] => {
  const pipelines = new Map<number, TraceJob[]>();
  const groups: TraceJob[][] = [];
  for (const job of jobs) {
    if (job.pipelineId === undefined) {
      groups.push([job]);
      continue;
    }
    const group = pipelines.get(job.pipelineId);
    if (group) group.push(job);
    else {
      const fresh = [job];
      pipelines.set(job.pipelineId, fresh);
      groups.push(fresh);
    }
  }
  const arrival = (group: TraceJob[]) => Math.min(...group.map((job) => job.createdAt.getTime()));
  return groups
    .map((group) =>
      group.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.jobId - b.jobId),
    )
    .sort((a, b) => arrival(a) - arrival(b) || (a[0] as TraceJob).jobId - (b[0] as TraceJob).jobId);
};
