import type { JobRecord } from "../jobs/job-record";
import type { JobStatus } from "../jobs/job-status";
import { PROJECT_ACTIVITY_WINDOW_SECONDS } from "../jobs/project-activity";
import type { AutoscalerConfig } from "../pools/autoscaler-config";
import { needsProjectGroups, routableJob, routeJob } from "../pools/routing";
import { NO_SUPPLY } from "../pools/scaling-policy";
import { poolSettingsAt } from "../pools/schedule";
import type { Clock } from "../ports/clock";
import type { DemandStore } from "../ports/demand-store";
import type { PoolControls } from "../ports/pool-controls";
import type { RunnerStore } from "../ports/runner-store";
import type { Registration } from "../runners/registration";
import { type RunnerRecord, supplyOf } from "../runners/runner-record";

/** A job as operators see it: what GitLab said, without storage bookkeeping. */
export type JobView = { readonly id: number } & Omit<
  JobRecord,
  "jobId" | "statusRank" | "expiresAt"
>;

export type RunnerView = Pick<
  RunnerRecord,
  | "name"
  | "pool"
  | "state"
  | "instanceId"
  | "gitlabRunnerId"
  | "market"
  | "createdAt"
  | "updatedAt"
  | "startedAhead"
>;

export type RegistrationView = Pick<
  Registration,
  "name" | "pool" | "gitlabRunnerId" | "state" | "freeSince"
>;

export interface PoolView {
  readonly name: string;
  /** Pending jobs routed here; jobs whose tags are not read yet are counted under `unresolved`. */
  readonly pending: number;
  readonly creating: number;
  readonly booting: number;
  readonly idle: number;
  readonly busy: number;
  readonly draining: number;
  readonly maxInstances: number;
  readonly slotsInUse: number;
  /** An operator drained it: it starts nothing, and every runner it still has counts as draining. */
  readonly drained: boolean;
}

/** What the control plane sees, for operators (`cli status`). */
export interface ControlPlaneStatus {
  readonly generatedAt: string;
  readonly jobs: readonly JobView[];
  /** GitLab's statuses and ours: `not_visible` counts jobs GitLab answered 404 for. */
  readonly jobsByStatus: Readonly<Partial<Record<JobStatus, number>>>;
  readonly runners: readonly RunnerView[];
  /** GitLab runners kept between jobs for the next ones (`runner.registrations: reuse`). */
  readonly registrations: readonly RegistrationView[];
  readonly pools: readonly PoolView[];
  readonly pendingUnresolved: number;
  readonly pendingUnroutable: number;
  readonly slotsInUse: number;
  readonly maxInstances: number;
  readonly activeProjects: readonly { readonly id: number; readonly lastJobEventAt: string }[];
}

const toJobView = ({
  jobId,
  statusRank: _rank,
  expiresAt: _expiry,
  ...job
}: JobRecord): JobView => ({
  id: jobId,
  ...job,
});

const toRunnerView = ({
  name,
  pool,
  state,
  instanceId,
  gitlabRunnerId,
  market,
  createdAt,
  updatedAt,
  startedAhead,
}: RunnerRecord): RunnerView => ({
  name,
  pool,
  state,
  instanceId,
  gitlabRunnerId,
  market,
  createdAt,
  updatedAt,
  ...(startedAhead && { startedAhead }),
});

/** A drained pool's runners are all on their way out, whatever each is doing meanwhile. */
const drainingOnly = (count: number) => ({ ...NO_SUPPLY, draining: count });

export interface StatusSources {
  readonly demand: DemandStore;
  readonly runners: RunnerStore;
  readonly poolControls: PoolControls;
  readonly config: AutoscalerConfig;
  readonly clock: Clock;
}

export const readControlPlaneStatus = async ({
  demand,
  runners,
  poolControls,
  config,
  clock,
}: StatusSources): Promise<ControlPlaneStatus> => {
  const now = clock.now();
  const since = new Date(now.getTime() - PROJECT_ACTIVITY_WINDOW_SECONDS * 1000);
  const [jobs, projects, live, ledger, drained, kept] = await Promise.all([
    demand.listJobs(now),
    demand.listActiveProjects(since),
    runners.listLive(),
    runners.ledger(),
    poolControls.drainedPools(),
    runners.listRegistrations(),
  ]);
  const jobsByStatus: Partial<Record<JobStatus, number>> = {};
  for (const job of jobs) jobsByStatus[job.status] = (jobsByStatus[job.status] ?? 0) + 1;
  const pending = jobs.filter((job) => job.status === "pending");
  // undefined: not routable yet (tags, or a group pool's project groups, still to be read).
  const routed = pending.map((job) => {
    const facts = routableJob(job);
    if (!facts || needsProjectGroups(config.pools, facts)) return undefined;
    return routeJob(config.pools, facts)?.name ?? null;
  });
  return {
    generatedAt: now.toISOString(),
    jobs: jobs.map(toJobView).sort((a, b) => a.id - b.id),
    jobsByStatus,
    runners: live.map(toRunnerView).sort((a, b) => a.name.localeCompare(b.name)),
    registrations: kept
      .map(({ name, pool, gitlabRunnerId, state, freeSince }) => ({
        name,
        pool,
        gitlabRunnerId,
        state,
        freeSince,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    pools: config.pools.map((pool) => {
      const poolRunners = live.filter((runner) => runner.pool === pool.name);
      const isDrained = drained.has(pool.name);
      return {
        name: pool.name,
        pending: routed.filter((name) => name === pool.name).length,
        ...(isDrained ? drainingOnly(poolRunners.length) : supplyOf(poolRunners)),
        maxInstances: poolSettingsAt(pool, now).maxInstances,
        slotsInUse: ledger.byPool[pool.name] ?? 0,
        drained: isDrained,
      };
    }),
    pendingUnresolved: routed.filter((name) => name === undefined).length,
    pendingUnroutable: routed.filter((name) => name === null).length,
    slotsInUse: ledger.global,
    maxInstances: config.max_instances,
    activeProjects: projects
      .map((project) => ({ id: project.projectId, lastJobEventAt: project.lastJobEventAt }))
      .sort((a, b) => a.id - b.id),
  };
};
