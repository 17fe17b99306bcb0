import type { AutoscalerConfig } from "@ger/core/types";
import { formatFaultSpec } from "./faults/fault-spec";
import { percentile, round } from "./percentile";
import { POLICIES } from "./policies";
import { SeededRandom } from "./random";
import type { PolicyName, Sample, SimulationRun, SimulationSummary } from "./result";
import { waitsByStage } from "./stage-waits";
import type { TraceJob } from "./trace/trace-job";
import {
  GITLAB_CALL_PURPOSES,
  type GitlabCallPurpose,
  purposeOf,
} from "./world/gitlab-call-purposes";
import { hourlyPrice, PRICES_AS_OF } from "./world/instance-prices";
import { TraceReplay } from "./world/trace-replay";
import { VirtualTime } from "./world/virtual-time";
import { type PolicyFactory, World } from "./world/world";
import { bootMeanS, DEFAULT_WORLD, type WorldSettings } from "./world/world-settings";

export interface SimulationOptions {
  readonly trace: readonly TraceJob[];
  readonly config: AutoscalerConfig;
  readonly policy?: PolicyName;
  /** The run's name in reports, where one policy runs in more than one variant; the policy's by default. */
  readonly label?: string;
  readonly world?: Partial<WorldSettings>;
  /**
   * A control plane of the caller's own instead of the policy's (named `policy` in the summary):
   * for tests, a deliberately broken one that the invariants must catch.
   */
  readonly controlPlane?: PolicyFactory;
  /** Called as virtual time advances, with the share of the trace replayed so far. */
  readonly onProgress?: (fraction: number) => void;
}

/** Virtual time advances in steps this long between checks for the end of the work. */
const STEP_MS = 60_000;
/** Reaper passes a faulted run may take after its idle tail to finish what faults held back. */
const SETTLE_PASSES = 30;

/**
 * Replays a trace in virtual time through one control plane and reports what it cost and how long
 * jobs waited. After the last job has finished and the last instance has booted (or been given
 * up on), the world runs idle for the longest idle_time plus two reaper passes, and whatever is
 * left then is a leak.
 */
export const runSimulation = async (options: SimulationOptions): Promise<SimulationRun> => {
  const wallStart = performance.now();
  const settings: WorldSettings = { ...DEFAULT_WORLD, ...options.world };
  const { trace } = options;
  // On gitlab.com's plans the control plane reads the plan, as it does where gitlab_url says so.
  const config =
    settings.gitlabPlan === undefined
      ? options.config
      : { ...options.config, gitlab_url: "https://gitlab.com" };
  const policy = options.policy ?? "default";
  const first = trace[0];
  if (!first) throw new Error("the trace has no jobs");
  checkPrices(config);
  // The faults exercise this project's control plane; the peers' are models of what theirs do.
  const faulted = formatFaultSpec(settings.faults) !== "";
  if (faulted && policy !== "default" && !options.controlPlane)
    throw new Error(`faults are injected into the default policy only, not ${policy}`);
  // The control plane gets a minute before the first job, as a deployed one would have.
  const startMs = Math.floor(first.createdAt.getTime() / STEP_MS) * STEP_MS - STEP_MS;
  const time = new VirtualTime(new Date(startMs));
  const world = new World(time, new SeededRandom(settings.seed), settings, config);
  const factory = options.controlPlane ?? POLICIES[policy];
  if (!factory) throw new Error(`no policy named ${policy}`);
  world.placeProjects(new Set(trace.map((job) => job.projectId)));
  const plane = factory(world);
  world.attach(plane);
  const replay = new TraceReplay(time, world.model, trace);
  replay.start();

  // Each control plane bills its own services; ours is metered call by call.
  const controlPlaneCost = (elapsedS: number) =>
    plane.costUsd?.(elapsedS) ?? world.meters.costUsd(elapsedS);
  const samples: Sample[] = [];
  world.every(settings.sampleEveryS, startMs, () => {
    samples.push(sampleOf(world, startMs, controlPlaneCost));
  });

  const horizonMs = replay.lastArrivalMs + settings.horizonS * 1000;
  const span = Math.max(1, replay.lastArrivalMs - startMs);
  // Idle means no job left and no instance still booting: a late runner registers and idles.
  const idle = () => replay.allArrived && world.jobs.settled && world.compute.phases.booting === 0;
  while (time.nowMillis < horizonMs && !idle()) {
    await time.runUntil(time.nowMillis + STEP_MS);
    options.onProgress?.(Math.min(1, (time.nowMillis - startMs) / span));
  }
  const idleTailMs =
    Math.max(
      longestIdleTimeS(config) + 2 * settings.reaperScheduleS + settings.powerOffS + 60,
      plane.settleS ?? 0,
    ) * 1000;
  await time.runUntil(time.nowMillis + idleTailMs);
  // Under faults a retirement may fail pass after pass (a throttled TerminateInstances, a reaper
  // pass that died): the reaper keeps at it, and what it finishes within SETTLE_PASSES more passes
  // was not left behind.
  let leftovers = await plane.leftovers();
  for (
    let pass = 0;
    faulted && pass < SETTLE_PASSES && anyLeft(leaksOf(world, leftovers));
    pass++
  ) {
    await time.runUntil(time.nowMillis + settings.reaperScheduleS * 1000);
    leftovers = await plane.leftovers();
  }
  world.finished = true;
  const endMs = time.nowMillis;

  const waits = world.jobs.waits();
  const summary = summarize(world, {
    policy,
    label: options.label ?? policy,
    trace,
    waits,
    endMs,
    startMs,
    leftovers,
    controlPlaneCostUsd: controlPlaneCost,
    wallSeconds: (performance.now() - wallStart) / 1000,
  });
  return {
    summary,
    startedAt: new Date(startMs).toISOString(),
    samples,
    sampleEveryS: settings.sampleEveryS,
    waits,
  };
};

type Leftovers = Awaited<ReturnType<ReturnType<PolicyFactory>["leftovers"]>>;

const checkPrices = (config: AutoscalerConfig) => {
  for (const pool of config.pools)
    for (const type of pool.instance.types) hourlyPrice(type, "on-demand");
};

/** The longest idle_time any pool has, in any of its periods. */
const longestIdleTimeS = (config: AutoscalerConfig): number =>
  Math.max(
    ...config.pools.flatMap((pool) => [
      pool.idle_time,
      ...pool.policy.map((period) => period.idle_time ?? 0),
    ]),
  );

const sampleOf = (
  world: World,
  startMs: number,
  controlPlaneCost: (elapsedS: number) => number,
): Sample => {
  const now = world.time.nowMillis;
  const { phases } = world.compute;
  return {
    atS: (now - startMs) / 1000,
    pendingJobs: world.jobs.pending,
    runningJobs: world.jobs.running,
    booting: phases.booting,
    idle: phases.idle,
    busy: phases.busy,
    stopping: phases.stopping,
    ec2CostUsd: world.compute.spentUsd(now),
    controlPlaneCostUsd: controlPlaneCost((now - startMs) / 1000),
  };
};

const summarize = (
  world: World,
  run: {
    readonly policy: PolicyName;
    readonly label: string;
    readonly trace: readonly TraceJob[];
    readonly waits: readonly number[];
    readonly startMs: number;
    readonly endMs: number;
    readonly leftovers: Leftovers;
    readonly controlPlaneCostUsd: (elapsedS: number) => number;
    readonly wallSeconds: number;
  },
): SimulationSummary => {
  const { compute, gitlab, settings } = world;
  let instanceSeconds = 0;
  let busySeconds = 0;
  let ec2CostUsd = 0;
  for (const instance of compute.instances.values()) {
    instanceSeconds += compute.billedSeconds(instance, run.endMs);
    busySeconds += instance.busyMs / 1000;
    ec2CostUsd += compute.costUsd(instance, run.endMs);
  }
  const meanBoot = bootMeanS(settings);
  const ideal = run.trace.reduce((sum, job) => sum + Math.max(60, meanBoot + job.durationS), 0);
  const calls = gitlab.calls;
  // This project's GitLab client reads a runner before deleting it or resetting its token, to
  // check its description names this deployment (GitLabRestClient with `deployment`); the
  // in-memory GitLab does not. It remembers the runners it read as ours: a kept registration is
  // read once (per warm function), not before every reset.
  const ownershipReads =
    run.policy === "default"
      ? calls.deleteRunner + Math.min(calls.resetRunnerToken, world.model.lifecycle.created)
      : 0;
  const gitlabApiCalls =
    Object.values(calls).reduce((sum, count) => sum + count, 0) + ownershipReads;
  const byPurpose = callsByPurpose(world, run.policy, ownershipReads);
  const ec2 = compute.calls;
  const { leftovers } = run;
  const stages = waitsByStage(
    [...world.jobs.waitsByJob()].map(([id, waitS]) => [world.model.jobs.get(id), waitS] as const),
    run.trace,
  );
  const leaks = leaksOf(world, leftovers);
  return {
    policy: run.policy,
    label: run.label,
    jobs: run.trace.length,
    completed: [...world.model.jobs.values()].filter((job) => job.status === "success").length,
    lostJobs: world.jobs.neverRan() + createdNeverPending(world),
    waitP50S: round(percentile(run.waits, 50), 1),
    waitP95S: round(percentile(run.waits, 95), 1),
    waitMaxS: round(run.waits[run.waits.length - 1] ?? 0, 1),
    waitByStage: stages.byStage,
    laterStageWaitP95S: stages.laterStageP95S,
    instanceSeconds: Math.round(instanceSeconds),
    idleInstanceSeconds: Math.round(Math.max(0, instanceSeconds - busySeconds)),
    idealInstanceSeconds: Math.round(ideal),
    ec2CostUsd: round(ec2CostUsd, 4),
    controlPlaneCostUsd: round(run.controlPlaneCostUsd((run.endMs - run.startMs) / 1000), 4),
    launches: compute.instances.size,
    ec2ApiCalls: ec2.createFleet + ec2.describeInstances + ec2.terminateInstances,
    gitlabApiCalls,
    gitlabApiCallsByPurpose: byPurpose,
    gitlabRunnersCreated: world.model.lifecycle.created,
    gitlabRunnersDeleted: world.model.lifecycle.deleted,
    maxLiveRegistrations: world.model.lifecycle.maxRegistered,
    tokenResets: world.model.lifecycle.tokenResets,
    retainedRegistrations: leftovers.retainedRegistrations ?? 0,
    ssmCalls: ssmCallsOf(world, run.policy),
    starvedByScopeLimit: world.meters.starvedByScopeLimit,
    throttledCalls:
      gitlab.throttled + world.gitlabApi.throttled + ec2.throttled + world.parameterStore.throttled,
    maxConcurrentInstances: compute.maxConcurrent,
    ...leaks,
    faultsInjected: { ...world.faults.injected },
    invariantViolations: world.invariants.finish({
      instances: leaks.leakedInstances,
      gitlabRunners: leaks.leakedRunners,
      storedTokens: leaks.leakedTokens,
      ledgerSlots: leaks.leakedSlots,
    }),
    waitBoundS: world.invariants.bound.seconds,
    world: {
      seed: settings.seed,
      bootMedianS: settings.bootMedianS,
      bootMeanS: round(meanBoot, 1),
      bootP95S: settings.bootP95S,
      checkIntervalS: settings.checkIntervalS,
      powerOffS: settings.powerOffS,
      hookDelayS: `${settings.hookDelayMinS}-${settings.hookDelayMaxS}`,
      billingMinimumS: settings.billingMinimumS,
      gitlabRequestsPerMinute: settings.gitlabRequestsPerMinute,
      ec2MutatingBucket: `${settings.ec2MutatingBucket.capacity}/${settings.ec2MutatingBucket.perSecond}s`,
      ec2InstanceBucket: `${settings.ec2InstanceBucket.capacity}/${settings.ec2InstanceBucket.perSecond}s`,
      prices: PRICES_AS_OF,
      faults: formatFaultSpec(settings.faults) || "none",
    },
    wallSeconds: round(run.wallSeconds, 2),
  };
};

/**
 * GitLab calls by purpose: ours as counted per invocation (the reads before deletes are part of
 * the lifecycle); the peers' from the methods they called.
 */
const callsByPurpose = (
  world: World,
  policy: PolicyName,
  ownershipReads: number,
): Record<GitlabCallPurpose, number> => {
  if (policy === "default") {
    const counted = world.meters.gitlabCallsByPurpose;
    return { ...counted, lifecycle: counted.lifecycle + ownershipReads };
  }
  const counts = Object.fromEntries(GITLAB_CALL_PURPOSES.map((purpose) => [purpose, 0])) as Record<
    GitlabCallPurpose,
    number
  >;
  for (const [method, count] of Object.entries(world.gitlab.calls))
    counts[purposeOf(method, "scaler")] += count;
  return counts;
};

/** Parameter Store calls: ours through the world's store, the peers' as they metered them. */
const ssmCallsOf = (world: World, policy: PolicyName): number => {
  if (policy === "default") return world.parameterStore.totalCalls;
  let calls = 0;
  for (const [api, count] of world.meters.otherCalls) if (api.startsWith("ssm:")) calls += count;
  return calls;
};

/** What the control plane left behind beyond its warm instances (idle_count). */
const leaksOf = (world: World, leftovers: Leftovers) => {
  let liveInstances = 0;
  for (const instance of world.compute.liveInstances())
    if (instance.state !== "shutting-down") liveInstances += 1;
  const leaks = {
    leakedInstances: Math.max(0, liveInstances - leftovers.warmInstances),
    leakedRunners: Math.max(0, leftovers.gitlabRunners - leftovers.warmInstances),
    leakedTokens: leftovers.storedTokens,
    leakedSlots: Math.max(0, leftovers.ledgerSlots - leftovers.warmInstances),
  };
  return leaks;
};

const anyLeft = (leaks: ReturnType<typeof leaksOf>) =>
  Object.values(leaks).some((count) => count > 0);

/** Jobs of later stages whose pipeline never got that far. */
const createdNeverPending = (world: World): number => {
  let count = 0;
  for (const job of world.model.jobs.values()) if (job.status === "created") count += 1;
  return count;
};
