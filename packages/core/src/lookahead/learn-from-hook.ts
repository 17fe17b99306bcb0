import type { JobEvent } from "../jobs/job-event";
import type { PipelineHalt } from "../jobs/pipeline-halt";
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
