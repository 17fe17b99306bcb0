import {
  InMemoryCompute,
  InMemoryDemandStore,
  InMemoryGitlab,
  InMemoryLease,
  InMemoryPoolControls,
  InMemoryRunnerStore,
  InMemoryTokenDrop,
  parseAutoscalerConfig,
} from "@ger/core";
import type {
  AutoscalerConfigInput,
  JobStatus,
  ReaperDependencies,
  ReconcileDependencies,
  ScalerDependencies,
} from "@ger/core/types";
import { configInput } from "./config";

/** The scaler's whole world in memory, with a clock the test moves. */
export const scalerWorld = (config: AutoscalerConfigInput = configInput()) => {
  let now = new Date("2026-11-22T10:00:00Z"); // a Sunday: no schedule policy applies
  let sequence = 0;
  const world = {
    gitlab: new InMemoryGitlab(),
    compute: new InMemoryCompute(),
    tokens: new InMemoryTokenDrop(),
    demand: new InMemoryDemandStore(),
    runners: new InMemoryRunnerStore(),
    lease: new InMemoryLease(),
    poolControls: new InMemoryPoolControls(),
    clock: { now: () => now },
    advance: (seconds: number) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
    setTime: (at: string) => {
      now = new Date(at);
    },
  };
  const deps: ScalerDependencies = {
    config: parseAutoscalerConfig(config),
    demand: world.demand,
    runners: world.runners,
    jobsApi: world.gitlab,
    registry: world.gitlab,
    tokens: world.tokens,
    compute: world.compute,
    poolControls: world.poolControls,
    clock: world.clock,
    newRunnerName: (pool) => `${pool}-${String(++sequence).padStart(4, "0")}`,
  };
  const reaperDeps: ReaperDependencies & ReconcileDependencies = { ...deps, lease: world.lease };
  /** A job as GitLab has it, and the pending hook the webhook recorded for it. */
  const addPendingJob = async (
    jobId: number,
    tags: string[],
    projectId = 5,
    status: JobStatus = "pending",
  ) => {
    world.gitlab.jobs.set(jobId, { id: jobId, projectId, status, tagList: tags });
    await world.demand.recordJobEvent(
      { jobId, projectId, status: "pending", createdAt: now.toISOString() },
      now,
    );
  };
  return { ...world, deps, reaperDeps, addPendingJob };
};
