import type { JobEvent } from "../jobs/job-event";
import type { PipelineHalt, PipelineRetry } from "../jobs/pipeline-halt";
import type { DurationKey } from "../ports/job-durations";

/**
 * A failed job that may not fail, or a canceled one, halts its pipeline: GitLab skips the later
 * stages without a hook (unless it retries the job).
 */
export const pipelineHaltOf = (event: JobEvent, receivedAt: Date): PipelineHalt | undefined => {
  if (event.pipelineId === undefined) return undefined;
  const halts =
    event.status === "canceled" || (event.status === "failed" && event.allowFailure !== true);
  if (!halts) return undefined;
  return {
    pipelineId: event.pipelineId,
    projectId: event.projectId,
    jobId: event.jobId,
    ...(event.name !== undefined && { name: event.name }),
    ...(event.stage !== undefined && { stage: event.stage }),
    haltedAt: receivedAt.toISOString(),
  };
};

/**
 * A successful retry lifts the halt its original noted: the pipeline goes on. GitLab counts a
 * job's earlier runs in `retries_count`; a hook without it (older GitLab) may be one.
 */
export const pipelineRetryOf = (event: JobEvent): PipelineRetry | undefined =>
  event.status === "success" &&
  event.pipelineId !== undefined &&
  event.name !== undefined &&
  event.stage !== undefined &&
  (event.retriesCount === undefined || event.retriesCount > 0)
    ? { pipelineId: event.pipelineId, jobId: event.jobId, name: event.name, stage: event.stage }
    : undefined;

/** A successful run's duration, the one the next run of the same job is estimated from. */
export const durationSampleOf = (
  event: JobEvent,
): { readonly key: DurationKey; readonly seconds: number } | undefined =>
  event.status === "success" && event.name !== undefined && event.durationSeconds !== undefined
    ? {
        key: { projectId: event.projectId, name: event.name },
        seconds: event.durationSeconds,
      }
    : undefined;
