import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  DynamoDemandStore,
  DynamoJobDurations,
  DynamoLease,
  DynamoPoolControls,
  DynamoRunnerStore,
  type GitlabModelJob,
  InMemoryCompute,
  InMemoryDemandStore,
  InMemoryGitlab,
  InMemoryJobDurations,
  InMemoryLease,
  InMemoryPoolControls,
  InMemoryRunnerStore,
  InMemoryTokenDrop,
  ProjectGroups,
  parseAutoscalerConfig,
  RegistrationCaps,
} from "@ger/core";
import type {
  AutoscalerConfigInput,
  DemandStore,
  JobDurations,
  Lease,
  PoolControls,
  ReaperDependencies,
  ReconcileDependencies,
  RunnerStore,
  ScalerDependencies,
} from "@ger/core/types";
import { SUNDAY_MORNING } from "./clock";
import { configInput } from "./config";

/** A DynamoDB table (DynamoDB Local in tests) to hold the world's state instead of memory. */
export interface WorldTable {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tableName: string;
}

interface Stores {
  readonly demand: DemandStore;
  readonly durations: JobDurations;
  readonly runners: RunnerStore;
  readonly lease: Lease;
  readonly poolControls: PoolControls;
}

const storesIn = (table: WorldTable | undefined): Stores =>
  table
    ? {
        demand: new DynamoDemandStore(table.documentClient, table.tableName),
        durations: new DynamoJobDurations(table.documentClient, table.tableName),
        runners: new DynamoRunnerStore(table.documentClient, table.tableName),
        lease: new DynamoLease(table.documentClient, table.tableName),
        poolControls: new DynamoPoolControls(table.documentClient, table.tableName),
      }
    : {
        demand: new InMemoryDemandStore(),
        durations: new InMemoryJobDurations(),
        runners: new InMemoryRunnerStore(),
        lease: new InMemoryLease(),
        poolControls: new InMemoryPoolControls(),
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
  // No schedule policy applies then, and it lies past DynamoDB Local's real-clock TTL.
  let now = SUNDAY_MORNING;
  let sequence = 0;
  const world = {
    gitlab: new InMemoryGitlab({
      clock: { now: () => now },
      ...(gitlabRequestsPerMinute !== undefined && { requestsPerMinute: gitlabRequestsPerMinute }),
    }),
    compute: new InMemoryCompute({ now: () => now }),
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
    durations: world.durations,
    runners: world.runners,
    jobsApi: world.gitlab,
    registry: world.gitlab,
    tokens: world.tokens,
    compute: world.compute,
    poolControls: world.poolControls,
    clock: world.clock,
    newRunnerName: (pool) => `${pool}-${String(++sequence).padStart(4, "0")}`,
    registrationCaps: new RegistrationCaps(),
    projectGroups: new ProjectGroups(),
  };
  const reaperDeps: ReaperDependencies & ReconcileDependencies = { ...deps, lease: world.lease };
  // Projects 5 and 7 sit in group 42, whose runners the linux-arm pool makes; project 7 is also
  // the gpu pool's own project.
  world.gitlab.model.projects.set(5, { groupId: 42 });
  world.gitlab.model.projects.set(7, { groupId: 42 });
  /**
   * A job as GitLab has it, and the pending hook the webhook recorded for it. With another status,
   * GitLab moved the job on and no hook told us.
   */
  const addPendingJob = async (
    jobId: number,
    tags: string[],
    projectId = 5,
    status: GitlabModelJob["status"] = "pending",
  ) => {
    const job = world.gitlab.model.enqueue({ id: jobId, projectId, tags });
    if (status !== "pending") world.gitlab.jobs.set(jobId, { ...job, status });
    await world.demand.recordJobEvent(
      { jobId, projectId, status: "pending", createdAt: now.toISOString() },
      now,
    );
  };
  return { ...world, deps, reaperDeps, addPendingJob };
};
