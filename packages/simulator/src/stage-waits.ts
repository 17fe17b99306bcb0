import type { GitlabModelJob } from "@ger/core";
import { percentile, round } from "./percentile";
import type { TraceJob } from "./trace/trace-job";

/** Waits of the jobs at one stage position of their pipelines (1 is the first stage). */
export interface StageWaits {
  readonly position: number;
  readonly jobs: number;
  readonly p50S: number;
  readonly p95S: number;
}

const keyOf = (pipelineId: number, stage: string) => `${pipelineId}:${stage}`;

/**
 * Each pipeline stage's position in its pipeline, keyed as the GitLab model names the stage
 * (TraceReplay makes trace stage n `stage-n`): the trace's stage numbers need not be contiguous.
 */
const stagePositions = (trace: readonly TraceJob[]): Map<string, number> => {
  const stagesOf = new Map<number, Set<number>>();
  for (const { pipelineId, stage } of trace)
    if (pipelineId !== undefined)
      stagesOf.set(pipelineId, (stagesOf.get(pipelineId) ?? new Set()).add(stage ?? 0));
  const positions = new Map<string, number>();
  for (const [pipelineId, stages] of stagesOf)
    for (const [index, stage] of [...stages].sort((a, b) => a - b).entries())
      positions.set(keyOf(pipelineId, `stage-${stage}`), index + 1);
  return positions;
};

/**
 * Waits grouped by stage position, a retry counted at its original's stage; a job outside any
 * pipeline is at position 1. Also the p95 of every wait after the first stage.
 */
export const waitsByStage = (
  waits: Iterable<readonly [job: GitlabModelJob | undefined, waitS: number]>,
  trace: readonly TraceJob[],
): { readonly byStage: StageWaits[]; readonly laterStageP95S: number } => {
  const positions = stagePositions(trace);
  const grouped = new Map<number, number[]>();
  for (const [job, waitS] of waits) {
    const position =
      job?.pipelineId !== undefined && job.stage !== undefined
        ? (positions.get(keyOf(job.pipelineId, job.stage)) ?? 1)
        : 1;
    const group = grouped.get(position);
    if (group) group.push(waitS);
    else grouped.set(position, [waitS]);
  }
  const later: number[] = [];
  const byStage = [...grouped.entries()]
    .sort(([a], [b]) => a - b)
    .map(([position, stageWaits]) => {
      stageWaits.sort((a, b) => a - b);
      if (position > 1) later.push(...stageWaits);
      return {
        position,
        jobs: stageWaits.length,
        p50S: round(percentile(stageWaits, 50), 1),
        p95S: round(percentile(stageWaits, 95), 1),
      };
    });
  return {
    byStage,
    laterStageP95S: round(
      percentile(
        later.sort((a, b) => a - b),
        95,
      ),
      1,
    ),
  };
};
