import type { FaultSpec } from "../faults/fault-spec";
import type { ParameterStoreLimits } from "./parameter-store";

/**
 * The simulated world, in one place, with where each default comes from. Everything a run's
 * numbers depend on is here or in the trace and the autoscaler config; `world` in the JSON
 * states what a run used.
 */
export interface WorldSettings {
  readonly seed: number;
  /**
   * From the launch call to the runner's first job request, log-normal. EC2 takes about 26 s from
   * the API call to SSH on average, about 16.5 s of it pending → running (AWS re:Post and
   * measurements summarised in the project notes); gitlab-runner's start adds a few seconds.
   */
  readonly bootMedianS: number;
  readonly bootP95S: number;
  /** The part of the boot spent pending: EC2 bills from `running` (16.5 s of the 30 s above). */
  readonly pendingShareOfBoot: number;
  /** Power-off to terminated: shutting-down lasts seconds for EBS-backed instances. */
  readonly powerOffS: number;
  /** gitlab-runner's default `check_interval` (docs: runner advanced configuration, [global]). */
  readonly checkIntervalS: number;
  /** A status change reaches the webhook this long after it happens, uniformly (GitLab's Sidekiq). */
  readonly hookDelayMinS: number;
  readonly hookDelayMaxS: number;
  /** EventBridge delivers an EC2 state change about this long after it. */
  readonly instanceEventDelayS: number;
  /** The stream's MaximumBatchingWindowInSeconds (infra/functions.ts). */
  readonly streamBatchWindowS: number;
  /** rate(1 minute) schedules (infra/functions.ts). */
  readonly scalerScheduleS: number;
  readonly reaperScheduleS: number;
  /** EC2 bills per second with a 60-second minimum (Linux, on-demand and spot). */
  readonly billingMinimumS: number;
  /**
   * EC2 API token buckets (EC2 API reference, "Request throttling"): CreateFleet draws on the
   * mutating-actions bucket; the instances it launches on the RunInstances resource bucket.
   */
  readonly ec2MutatingBucket: Bucket;
  readonly ec2InstanceBucket: Bucket;
  readonly ec2TerminateBucket: Bucket;
  readonly ec2DescribeBucket: Bucket;
  /** gitlab.com's authenticated API rate limit per user (docs: user/gitlab_com, rate limits). */
  readonly gitlabRequestsPerMinute: number;
  /**
   * GitLab's registered-runner cap of every group and project the config's pools register in
   * (ci_registered_group_runners, ci_registered_project_runners: 50 on gitlab.com Free, 1,000 on
   * Premium); none when undefined, as on a self-managed instance without limits.
   */
  readonly registeredRunnerLimit?: number;
  /**
   * The world is gitlab.com and every group the pools register in is on this plan (`free`,
   * `premium`…): GitLab holds them to its cap, and shows the plan as GET /namespaces/:id does.
   */
  readonly gitlabPlan?: string;
  /**
   * Parameter Store's throughput (the tokens' hand-off): 40 transactions a second by default,
   * shared by GetParameter(s) and PutParameter per account and region; DeleteParameter's limit is
   * not published, assumed the same, apart.
   */
  readonly parameterStore: ParameterStoreLimits;
  /** A virtual-time sample for the report every this many seconds. */
  readonly sampleEveryS: number;
  /** Jobs still waiting this long after the trace's last job are lost. */
  readonly horizonS: number;
  /** The faults injected, with their probabilities (`simulate --faults`); none by default. */
  readonly faults: FaultSpec;
}

export interface Bucket {
  readonly capacity: number;
  readonly perSecond: number;
}

export const DEFAULT_WORLD: WorldSettings = {
  seed: 1,
  bootMedianS: 30,
  bootP95S: 45,
  pendingShareOfBoot: 0.55,
  powerOffS: 10,
  checkIntervalS: 3,
  hookDelayMinS: 0.2,
  hookDelayMaxS: 2,
  instanceEventDelayS: 1,
  streamBatchWindowS: 1,
  scalerScheduleS: 60,
  reaperScheduleS: 60,
  billingMinimumS: 60,
  ec2MutatingBucket: { capacity: 50, perSecond: 5 },
  ec2InstanceBucket: { capacity: 1000, perSecond: 2 },
  ec2TerminateBucket: { capacity: 100, perSecond: 5 },
  ec2DescribeBucket: { capacity: 100, perSecond: 20 },
  gitlabRequestsPerMinute: 2000,
  parameterStore: {
    getPut: { capacity: 40, perSecond: 40 },
    delete: { capacity: 40, perSecond: 40 },
  },
  sampleEveryS: 60,
  horizonS: 6 * 3600,
  faults: {},
};

/** The mean of the log-normal boot time: median · e^(σ²/2). */
export const bootMeanS = (world: WorldSettings): number => {
  const sigma = Math.log(world.bootP95S / world.bootMedianS) / 1.6448536269514722;
  return world.bootMedianS * Math.exp((sigma * sigma) / 2);
};
