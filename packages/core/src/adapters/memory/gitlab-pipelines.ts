import type { GitlabModel } from "./gitlab-model";
import type { GitlabModelJob } from "./gitlab-model-records";

export interface PipelineRequest {
  readonly projectId: number;
  readonly stages: readonly {
    readonly name: string;
    readonly jobs: readonly {
      readonly name?: string;
      readonly tags?: readonly string[];
      readonly durationSeconds?: number;
    }[];
  }[];
}

/**
 * GitLab's stage order for pipelines made in the model: every job is created at once, stage by
 * stage (ids rise with the stage), the first stage pending at once and each later one when every
 * job before it has succeeded. A failed or canceled job cancels the stages after it (GitLab skips
 * them; the model has no skip).
 */
export class GitlabPipelines {
  private readonly remaining = new Map<number, { stages: number[][]; unfinished: Set<number> }>();
  private readonly pipelineOfJob = new Map<number, number>();
  private nextPipelineId = 1;

  constructor(private readonly model: GitlabModel) {
    model.on("job", (job) => this.onJob(job));
  }

  /** Makes the pipeline; its jobs, in creation order. */
  create(request: PipelineRequest): GitlabModelJob[] {
    const pipelineId = this.nextPipelineId++;
    const stages = request.stages.map((stage, index) =>
      stage.jobs.map((job) =>
        this.model.enqueue({
          projectId: request.projectId,
          pipelineId,
          stage: stage.name,
          pending: index === 0,
          ...(job.name !== undefined && { name: job.name }),
          ...(job.tags !== undefined && { tags: job.tags }),
          ...(job.durationSeconds !== undefined && { durationSeconds: job.durationSeconds }),
        }),
      ),
    );
    const [first = [], ...later] = stages.map((jobs) => jobs.map((job) => job.id));
    for (const id of stages.flat().map((job) => job.id)) this.pipelineOfJob.set(id, pipelineId);
    this.remaining.set(pipelineId, { stages: later, unfinished: new Set(first) });
    return stages.flat();
  }

  private onJob(job: GitlabModelJob): void {
    const pipelineId = this.pipelineOfJob.get(job.id);
    const pipeline = pipelineId === undefined ? undefined : this.remaining.get(pipelineId);
    if (!pipeline?.unfinished.has(job.id)) return;
    if (job.status === "failed" || job.status === "canceled") {
      this.remaining.delete(pipelineId as number);
      for (const id of pipeline.stages.flat()) this.model.finishJob(id, "canceled");
      return;
    }
    if (job.status !== "success") return;
    pipeline.unfinished.delete(job.id);
    if (pipeline.unfinished.size > 0) return;
    const next = pipeline.stages.shift();
    if (!next) return void this.remaining.delete(pipelineId as number);
    pipeline.unfinished = new Set(next);
    for (const id of next) this.model.release(id);
  }
}
