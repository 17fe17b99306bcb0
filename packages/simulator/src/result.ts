import type { FaultKind } from "./faults/fault-spec";
import type { InvariantViolation } from "./invariants/invariant-checker";
import type { StageWaits } from "./stage-waits";
import type { GitlabCallPurpose } from "./world/gitlab-call-purposes";

/** What a simulation reports: the JSON of `simulate --json`, and what the HTML report draws. */

export type PolicyName = "default" | "per-job" | "idle-pool";

/** The world a run had, as the JSON states it. */
export interface WorldSummary {
  readonly seed: number;
  readonly bootMedianS: number;
  readonly bootMeanS: number;
  readonly bootP95S: number;
  readonly checkIntervalS: number;
  readonly powerOffS: number;
  readonly [setting: string]: number | string;
}

export interface SimulationSummary {
  readonly policy: PolicyName;
  /** The run's name: the policy's, or a variant of it (`default-lookahead-off`). */
  readonly label: string;
  readonly jobs: number;
  readonly completed: number;
  /** Jobs that never ran by the end of the run. */
  readonly lostJobs: number;
  /** From pending to running, over the jobs that ran. */
  readonly waitP50S: number;
  readonly waitP95S: number;
  readonly waitMaxS: number;
  /** The same by the stage position of their pipelines (1 is the first stage; no pipeline, 1). */
  readonly waitByStage: readonly StageWaits[];
  /** p95 of the waits of every stage after the first. */
  readonly laterStageWaitP95S: number;
  /** Billed instance time (running to shutting-down, each at least 60 s). */
  readonly instanceSeconds: number;
  /** Of those, time an instance ran no job. */
  readonly idleInstanceSeconds: number;
  /** Σ over jobs of max(60, bootMeanS + duration): one fresh instance per job, no waste. */
  readonly idealInstanceSeconds: number;
  readonly ec2CostUsd: number;
  readonly controlPlaneCostUsd: number;
  readonly launches: number;
  readonly ec2ApiCalls: number;
  readonly gitlabApiCalls: number;
  /** The same calls by what they were for (see purposeOf). */
  readonly gitlabApiCallsByPurpose: Readonly<Record<GitlabCallPurpose, number>>;
  /** GitLab runners created and deleted in the run, and the most registered at any one time. */
  readonly gitlabRunnersCreated: number;
  readonly gitlabRunnersDeleted: number;
  readonly maxLiveRegistrations: number;
  /** Runner tokens reset between the jobs of a kept registration. */
  readonly tokenResets: number;
  /**
   * GitLab runners kept between jobs at the end, each with its reset token waiting, within its
   * idle expiry: on purpose, not leaks (see Leftovers).
   */
  readonly retainedRegistrations: number;
  /** Parameter Store calls for the tokens' hand-off, the instances' own included. */
  readonly ssmCalls: number;
  /** Scaler passes that found a pool held back by its scope's registered-runner cap. */
  readonly starvedByScopeLimit: number;
  /** Calls refused for a rate limit or throughput: GitLab's, EC2's and Parameter Store's. */
  readonly throttledCalls: number;
  readonly maxConcurrentInstances: number;
  /** Counted after the trace ends and the world ran idle for idle_time plus two reaper passes. */
  readonly leakedInstances: number;
  readonly leakedRunners: number;
  /** The control plane's own leftovers at the end: runner tokens still stored, ledger slots taken. */
  readonly leakedTokens: number;
  readonly leakedSlots: number;
  /** Faults that struck, per kind (`simulate --faults`; all zero without). */
  readonly faultsInjected: Readonly<Record<FaultKind, number>>;
  /** Every break of an invariant, in the order they happened; empty when all held. */
  readonly invariantViolations: readonly InvariantViolation[];
  /** The bound a pending job's wait is held to (see waitBound), in seconds. */
  readonly waitBoundS: number;
  readonly world: WorldSummary;
  readonly wallSeconds: number;
}

/** The world at one instant, for the report's charts. */
export interface Sample {
  /** Seconds since the run's start. */
  readonly atS: number;
  readonly pendingJobs: number;
  readonly runningJobs: number;
  /** Instances by state: launched and not yet polling, polling without a job, running one, powering off. */
  readonly booting: number;
  readonly idle: number;
  readonly busy: number;
  readonly stopping: number;
  /** Spent so far. */
  readonly ec2CostUsd: number;
  readonly controlPlaneCostUsd: number;
}

export interface SimulationRun {
  readonly summary: SimulationSummary;
  /** When the run's virtual time starts (the trace's first job). */
  readonly startedAt: string;
  /** One every `sampleEveryS` virtual seconds. */
  readonly samples: readonly Sample[];
  readonly sampleEveryS: number;
  /** Each job's wait in seconds, ascending. */
  readonly waits: readonly number[];
}
