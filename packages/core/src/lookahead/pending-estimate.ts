import type { JobRecord } from "../jobs/job-record";
import type { PipelineHalt } from "../jobs/pipeline-halt";
import { type DurationKey, durationKeyOf } from "../ports/job-durations";
import { estimateDurationSeconds } from "./duration-estimate";

/** A job GitLab has created but not made pending yet, and when it is expected to be. */
export interface FutureJob {
  readonly job: JobRecord;
  /** When its earlier stages are expected to be over, and it pending (epoch ms). */
  readonly pendingAt: number;
  /** When its pipeline was made (its earliest job's creation, epoch ms): no launch before it. */
  readonly pipelineCreatedAt: number;
}

export interface LookaheadInput {
  /** Unfinished jobs of recent pipelines (LOOKAHEAD_STATUSES). */
  readonly jobs: readonly JobRecord[];
  readonly halts: readonly PipelineHalt[];
  /** Recent durations by durationKeyOf. */
  readonly durations: ReadonlyMap<string, readonly number[]>;
  readonly now: Date;
}

interface Stage {
  readonly name: string;
  readonly jobs: JobRecord[];
}

/**
 * A running job this far past its estimate (twice it, and a minute) makes its pipeline's timing
 * unknown: its later stages get no runner ahead, and wait for a boot as without lookahead.
 */
const overrunLimitSeconds = (estimateSeconds: number) => 2 * estimateSeconds + 60;

const STARTED = new Set(["waiting_for_resource", "preparing", "pending", "running"]);

const createdAtOf = (job: JobRecord): number => Date.parse(job.createdAt ?? job.updatedAt);

/**
 * A pipeline's stages in GitLab's order. Hooks do not carry a stage's index, but GitLab creates a
 * pipeline's jobs stage by stage, so job ids rise with the stage: stages sort by their first id.
 */
const stagesOf = (jobs: readonly JobRecord[]): Stage[] => {
  const byName = new Map<string, JobRecord[]>();
  for (const job of jobs) {
    const name = job.stage ?? "";
    byName.set(name, [...(byName.get(name) ?? []), job]);
  }
  return [...byName]
    .map(([name, stageJobs]) => ({ name, jobs: stageJobs }))
    .sort((a, b) => firstIdOf(a) - firstIdOf(b));
};

const firstIdOf = (stage: Stage) => Math.min(...stage.jobs.map((job) => job.jobId));

const pipelinesOf = (jobs: readonly JobRecord[]): Map<number, JobRecord[]> => {
  const pipelines = new Map<number, JobRecord[]>();
  for (const job of jobs) {
    if (job.pipelineId === undefined) continue;
    pipelines.set(job.pipelineId, [...(pipelines.get(job.pipelineId) ?? []), job]);
  }
  return pipelines;
};

/** A manual job blocks the stages after it unless it may fail (GitLab's default for manual jobs). */
const blocks = (job: JobRecord) =>
  job.status === "scheduled" || (job.status === "manual" && job.allowFailure === false);
const ignored = (job: JobRecord) => job.status === "manual" && !blocks(job);

/**
 * Whether a halted pipeline goes on after all: GitLab's retry of the job (a new job of its name and
 * stage) is listed while it is unfinished and, once it has succeeded, a later stage (one created
 * after the halted job) is under way. A skipped stage never is.
 */
const goesOn = (halt: PipelineHalt, stages: readonly Stage[]) =>
  stages.some((stage) =>
    stage.jobs.some((job) =>
      stage.name === halt.stage
        ? job.jobId > halt.jobId && job.name === halt.name
        : firstIdOf(stage) > halt.jobId && STARTED.has(job.status),
    ),
  );

/** Whether some stage after the first has a created job: only such pipelines need estimates. */
const hasLaterCreated = (stages: readonly Stage[]) =>
  stages.slice(1).some((stage) => stage.jobs.some((job) => job.status === "created"));

/** The jobs whose durations the estimates need (see recentDurations). */
export const durationKeysFor = (jobs: readonly JobRecord[]): DurationKey[] => {
  const keys: DurationKey[] = [];
  for (const pipelineJobs of pipelinesOf(jobs).values()) {
    if (!hasLaterCreated(stagesOf(pipelineJobs))) continue;
    for (const job of pipelineJobs)
      if (job.name !== undefined) keys.push({ projectId: job.projectId, name: job.name });
  }
  return keys;
};

/**
 * Later-stage jobs and when each is expected to become pending: when every job of the stages
 * before it is expected to finish, from their starts (the running hooks) and their durations.
 * Only what the hooks show is trusted. A pipeline whose earliest unfinished stage has not started
 * is about to start it or was skipped past it, and a halted one (a job failed or canceled, not
 * retried) will not run its later stages: neither has future demand. A stage behind a manual job
 * that blocks, a delayed one, or a job long past its estimate cannot be timed: neither can any
 * stage after it.
 */
export const estimateFutureJobs = (input: LookaheadInput): FutureJob[] => {
  const now = input.now.getTime();
  const halts = new Map(input.halts.map((halt) => [halt.pipelineId, halt]));
  const future: FutureJob[] = [];
  for (const [pipelineId, pipelineJobs] of pipelinesOf(input.jobs)) {
    const stages = stagesOf(pipelineJobs);
    if (!hasLaterCreated(stages)) continue;
    const halt = halts.get(pipelineId);
    if (halt && !goesOn(halt, stages)) continue;
    const pipelineCreatedAt = Math.min(...pipelineJobs.map(createdAtOf));
    const seconds = (job: JobRecord) =>
      job.name === undefined
        ? estimateDurationSeconds(undefined)
        : estimateDurationSeconds(
            input.durations.get(durationKeyOf({ projectId: job.projectId, name: job.name })),
          );
    let previousEnd: number | undefined;
    for (const stage of stages) {
      const timed = stage.jobs.filter((job) => !ignored(job));
      if (previousEnd === undefined && !timed.some((job) => STARTED.has(job.status))) break;
      const pendingAt = Math.max(previousEnd ?? now, pipelineCreatedAt);
      let end = pendingAt;
      let timeable = true;
      for (const job of timed) {
        const estimate = seconds(job);
        if (blocks(job)) timeable = false;
        else if (job.status === "running" && job.startedAt !== undefined) {
          const elapsed = (now - Date.parse(job.startedAt)) / 1000;
          if (elapsed > overrunLimitSeconds(estimate)) timeable = false;
          end = Math.max(end, now + Math.max(0, estimate - elapsed) * 1000);
        } else if (job.status === "created" && previousEnd !== undefined) {
          future.push({ job, pendingAt, pipelineCreatedAt });
          end = Math.max(end, pendingAt + estimate * 1000);
        } else end = Math.max(end, now + estimate * 1000);
      }
      if (!timeable) break;
      previousEnd = end;
    }
  }
  return future;
};

/** When a future job's runner is launched: `leadSeconds` before it is expected pending, not before its pipeline. */
export const launchAtOf = (future: FutureJob, leadSeconds: number): number =>
  Math.max(future.pipelineCreatedAt, future.pendingAt - leadSeconds * 1000);
