import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  DynamoDemandStore,
  DynamoLease,
  DynamoPoolControls,
  DynamoRunnerStore,
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
  DemandStore,
  JobStatus,
  Lease,
  PoolControls,
  ReaperDependencies,
  ReconcileDependencies,
  RunnerStore,
  ScalerDependencies,
} from "@ger/core/types";
import { configInput } from "./config";

/** A DynamoDB table (DynamoDB Local in tests) to hold the world's state instead of memory. */
export interface WorldTable {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tableName: string;
}

interface Stores {
  readonly demand: DemandStore;
  readonly runners: RunnerStore;
  readonly lease: Lease;
  readonly poolControls: PoolControls;
}

const storesIn = (table: WorldTable | undefined): Stores =>
  table
    ? {
        demand: new DynamoDemandStore(table.documentClient, table.tableName),
        runners: new DynamoRunnerStore(table.documentClient, table.tableName),
        lease: new DynamoLease(table.documentClient, table.tableName),
        poolControls: new DynamoPoolControls(table.documentClient, table.tableName),
      }
    : {
        demand: new InMemoryDemandStore(),
        runners: new InMemoryRunnerStore(),
        lease: new InMemoryLease(),
        poolControls: new InMemoryPoolControls(),
      };

/**
 * A Sunday 10:00 UTC, when no schedule policy applies. In memory any Sunday will do; DynamoDB
 * Local deletes items whose TTL has passed on the real clock, so there it is the next one.
 */
const sundayMorning = (table: WorldTable | undefined): Date => {
  if (!table) return new Date("2026-11-22T10:00:00Z");
  const next = new Date();
  next.setUTCHours(10, 0, 0, 0);
  next.setUTCDate(next.getUTCDate() + (7 - next.getUTCDay()));
  return next;
};

/**
 * The scaler's whole world, with a clock the test moves: GitLab, EC2 and the token drop in memory;
 * the state in memory or, given a table, in DynamoDB.
 */
export const scalerWorld = (
  config: AutoscalerConfigInput = configInput(),
  options: { readonly table?: WorldTable; readonly gitlabRequestsPerMinute?: number } = {},
) => {
  const { table, gitlabRequestsPerMinute } = options;
  let now = sundayMorning(table);
  let sequence = 0;
  const world = {
    gitlab: new InMemoryGitlab({
      clock: { now: () => now },
      ...(gitlabRequestsPerMinute !== undefined && { requestsPerMinute: gitlabRequestsPerMinute }),
    }),
    compute: new InMemoryCompute(),
    tokens: new InMemoryTokenDrop(),
    ...storesIn(table),
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
