import {
  type GitlabModel,
  type GitlabModelJob,
  gitlabComPlanLimit,
  InMemoryGitlab,
  jobHookPayload,
} from "@ger/core";
import type { AutoscalerConfig, InstanceState } from "@ger/core/types";
import { Faults } from "../faults/faults";
import { FaultyGitlab } from "../faults/faulty-gitlab";
import { type HookDelivery, HookSender } from "../faults/hook-delivery";
import { SpotMarket } from "../faults/spot-interruptions";
import { InvariantChecker } from "../invariants/invariant-checker";
import { waitBound } from "../invariants/wait-bound";
import type { SeededRandom } from "../random";
import { ControlPlaneMeters } from "./control-plane-meters";
import { hourlyPrice } from "./instance-prices";
import { JobLedger } from "./job-ledger";
import { ParameterStoreTokenDrop } from "./parameter-store";
import type { VirtualTime } from "./virtual-time";
import { WorldCompute } from "./world-compute";
import type { WorldInstance } from "./world-instance";
import type { WorldSettings } from "./world-settings";

/** What a control plane under test sees of the world, and does in it. */
export interface ControlPlane {
  /** A Job Hook reaches the control plane's webhook (`body` as GitLab sends it). */
  onJobHook(body: () => string, job: GitlabModelJob, delivery: HookDelivery): Promise<void>;
  /** EventBridge delivers an EC2 state change. */
  onInstanceStateChange(instanceId: string, state: InstanceState): Promise<void>;
  /** EventBridge delivers EC2's spot interruption warning (two minutes before it reclaims). */
  onSpotInterruption?(instanceId: string): Promise<void>;
  /** An instance has booted: what its user-data does. */
  boot(instance: WorldInstance): void;
  /** What the control plane still holds: at the end of a run, leaks. */
  leftovers(): Promise<Leftovers>;
  /** Its own bill so far, where it is not this project's metered services. */
  costUsd?(elapsedS: number): number;
  /** How long it takes, at most, to clean up once work stops (the run's idle tail is at least this). */
  readonly settleS?: number;
}

export interface Leftovers {
  /** GitLab runners it created that are still registered. */
  readonly gitlabRunners: number;
  /** Runner tokens still stored for instances. */
  readonly storedTokens: number;
  /** Capacity slots still taken in its ledger. */
  readonly ledgerSlots: number;
  /** Instances it keeps on purpose at this instant (a scheduled idle_count): not leaks. */
  readonly warmInstances: number;
  /**
   * GitLab runners kept between jobs on purpose, each with its reset token waiting and within
   * its idle expiry: not leaks (they are not in `gitlabRunners` nor in `storedTokens`).
   */
  readonly retainedRegistrations?: number;
}

export type PolicyFactory = (world: World) => ControlPlane;

/** How often the invariants count pending jobs against the runners on their way. */
const COVERAGE_CHECK_S = 10;

/**
 * The world one run happens in: virtual time, GitLab (its API with the rate limit, the model its
 * runners talk to), EC2, and the meters. Hooks and EC2 events reach the control plane with the
 * delays the settings say, and with the faults they say; the invariants watch it all.
 */
export class World {
  readonly gitlab: InMemoryGitlab;
  /** GitLab's API as this project's control plane reaches it: with the faults, watched. */
  readonly gitlabApi: FaultyGitlab;
  readonly model: GitlabModel;
  readonly compute: WorldCompute;
  /** Where this project's control plane hands tokens to instances, with its throughput. */
  readonly parameterStore: ParameterStoreTokenDrop;
  readonly meters = new ControlPlaneMeters();
  readonly jobs = new JobLedger();
  readonly faults: Faults;
  readonly invariants: InvariantChecker;
  private readonly hooks: HookSender;
  private readonly spot: SpotMarket;
  /** Set once the run is over: periodic work stops. */
  finished = false;
  private controlPlane: ControlPlane | undefined;

  constructor(
    readonly time: VirtualTime,
    readonly random: SeededRandom,
    readonly settings: WorldSettings,
    readonly config: AutoscalerConfig,
  ) {
    this.gitlab = new InMemoryGitlab({
      clock: time,
      requestsPerMinute: settings.gitlabRequestsPerMinute,
      deployment: config.deployment,
    });
    this.model = this.gitlab.model;
    this.parameterStore = new ParameterStoreTokenDrop(time, settings.parameterStore);
    this.capScopes(settings);
    this.faults = new Faults(settings.faults, random);
    this.invariants = new InvariantChecker(
      time,
      config,
      this.model,
      waitBound(settings, config, settings.faults),
    );
    this.gitlabApi = new FaultyGitlab(this.gitlab, this.faults, time, this.invariants);
    this.compute = new WorldCompute({
      time,
      random,
      settings,
      boot: (instance) => this.plane.boot(instance),
      onStateChange: (instance) => this.deliverInstanceEvent(instance),
      hourlyPrice,
      faults: this.faults,
      observer: this.invariants,
    });
    this.hooks = new HookSender(time, this.faults, (body, job, delivery) =>
      this.plane.onJobHook(body, job, delivery),
    );
    this.spot = new SpotMarket({
      time,
      faults: this.faults,
      warn: (instance) =>
        time.after(settings.instanceEventDelayS * 1000, async () => {
          await this.plane.onSpotInterruption?.(instance.instanceId);
        }),
      reclaim: (instance) => this.compute.reclaim(instance),
    });
    this.model.on("job", (job) => {
      this.jobs.observe(job, time.nowMillis);
      this.invariants.jobChanged(job);
      this.deliverHook(job);
    });
  }

  /** A job's script starts on an instance: the end of its wait, whoever took it from GitLab. */
  onJobStarted(job: GitlabModelJob, instance?: WorldInstance): void {
    this.jobs.started(job.id, this.time.nowMillis);
    if (!instance) return;
    this.invariants.jobStarted(job, instance);
    if (job.runnerId !== undefined) this.gitlabApi.jobTaken(job.runnerId);
    this.spot.jobStarted(job, instance);
  }

  /** GitLab's registered-runner cap on the pools' groups and projects: set, or the plan's. */
  private capScopes({ registeredRunnerLimit, gitlabPlan }: WorldSettings): void {
    const limit =
      registeredRunnerLimit ??
      (gitlabPlan === undefined ? undefined : gitlabComPlanLimit(gitlabPlan));
    const { group, project } = this.model.registeredRunnerLimits;
    for (const { runner } of this.config.pools) {
      if (runner.runner_type === "group_type") {
        if (gitlabPlan !== undefined) this.model.namespacePlans.set(runner.group_id, gitlabPlan);
        if (limit !== undefined) group.set(runner.group_id, limit);
      }
      if (runner.runner_type === "project_type" && limit !== undefined)
        project.set(runner.project_id, limit);
    }
  }

  /**
   * Puts the trace's projects in the group of the config's first group pool, so that pool's
   * runners may take their jobs (a trace names projects, not groups).
   */
  placeProjects(projectIds: Iterable<number>): void {
    const group = this.config.pools.find(({ runner }) => runner.runner_type === "group_type");
    if (group?.runner.runner_type !== "group_type") return;
    for (const projectId of projectIds)
      this.model.projects.set(projectId, { groupId: group.runner.group_id });
  }

  attach(controlPlane: ControlPlane): void {
    this.controlPlane = controlPlane;
    this.every(COVERAGE_CHECK_S, this.time.nowMillis, () =>
      this.invariants.checkCoverage(this.compute.liveInstances()),
    );
  }

  /** Runs `action` every `periodS` from `firstAtMs` until the run is over. */
  every(periodS: number, firstAtMs: number, action: () => void | Promise<void>): void {
    this.time.every(periodS * 1000, firstAtMs, action, () => this.finished);
  }

  private get plane(): ControlPlane {
    if (!this.controlPlane) throw new Error("no control plane attached to the world");
    return this.controlPlane;
  }

  /** GitLab sends the hook as the job stood at the change, a little later. */
  private deliverHook(job: GitlabModelJob): void {
    const sentAt = this.time.now();
    const runner = job.runnerId === undefined ? undefined : this.model.runners.get(job.runnerId);
    const body = () => JSON.stringify(jobHookPayload(job, runner, sentAt));
    const { hookDelayMinS, hookDelayMaxS } = this.settings;
    this.hooks.send(body, job, this.random.between(hookDelayMinS, hookDelayMaxS) * 1000);
  }

  /** EventBridge delivers it a little later, unless it is lost (eventdrop). */
  private deliverInstanceEvent(instance: WorldInstance): void {
    const state = instance.state;
    if (this.faults.strike("eventdrop")) return;
    this.time.after(this.settings.instanceEventDelayS * 1000, () =>
      this.plane.onInstanceStateChange(instance.instanceId, state),
    );
  }
}
