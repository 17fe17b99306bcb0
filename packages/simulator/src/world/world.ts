import { type GitlabModel, type GitlabModelJob, InMemoryGitlab, jobHookPayload } from "@ger/core";
import type { AutoscalerConfig, InstanceState } from "@ger/core/types";
import type { SeededRandom } from "../random";
import { ControlPlaneMeters } from "./control-plane-meters";
import { hourlyPrice } from "./instance-prices";
import { JobLedger } from "./job-ledger";
import type { VirtualTime } from "./virtual-time";
import { WorldCompute } from "./world-compute";
import type { WorldInstance } from "./world-instance";
import type { WorldSettings } from "./world-settings";

/** What a control plane under test sees of the world, and does in it. */
export interface ControlPlane {
  /** A Job Hook reaches the control plane's webhook (`body` as GitLab sends it). */
  onJobHook(body: () => string, job: GitlabModelJob): Promise<void>;
  /** EventBridge delivers an EC2 state change. */
  onInstanceStateChange(instanceId: string, state: InstanceState): Promise<void>;
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
}

export type PolicyFactory = (world: World) => ControlPlane;

/**
 * The world one run happens in: virtual time, GitLab (its API with the rate limit, the model its
 * runners talk to), EC2, and the meters. Hooks and EC2 events reach the control plane with the
 * delays the settings say.
 */
export class World {
  readonly gitlab: InMemoryGitlab;
  readonly model: GitlabModel;
  readonly compute: WorldCompute;
  readonly meters = new ControlPlaneMeters();
  readonly jobs = new JobLedger();
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
    this.compute = new WorldCompute({
      time,
      random,
      settings,
      boot: (instance) => this.plane.boot(instance),
      onStateChange: (instance) => this.deliverInstanceEvent(instance),
      hourlyPrice,
    });
    this.model.on("job", (job) => {
      this.jobs.observe(job, time.nowMillis);
      this.deliverHook(job);
    });
  }

  /** A job's script starts on an instance: the end of its wait, whoever took it from GitLab. */
  onJobStarted(job: GitlabModelJob): void {
    this.jobs.started(job.id, this.time.nowMillis);
  }

  attach(controlPlane: ControlPlane): void {
    this.controlPlane = controlPlane;
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
    this.time.after(this.random.between(hookDelayMinS, hookDelayMaxS) * 1000, () =>
      this.plane.onJobHook(body, job),
    );
  }

  private deliverInstanceEvent(instance: WorldInstance): void {
    const state = instance.state;
    this.time.after(this.settings.instanceEventDelayS * 1000, () =>
      this.plane.onInstanceStateChange(instance.instanceId, state),
    );
  }
}
