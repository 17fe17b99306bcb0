import {
  createRunnerRequest,
  type GitlabModelJob,
  poolSettingsAt,
  runnerDescription,
} from "@ger/core";
import type { PoolConfig, PoolSettings } from "@ger/core/types";
import { hourlyPrice } from "../world/instance-prices";
import type { World } from "../world/world";
import { RequestLimitExceeded } from "../world/world-compute";
import type { WorldInstance } from "../world/world-instance";
import type { PricedControlPlane } from "./per-job-policy";

// GitLab Runner's docker-autoscaler executor on fleeting/taskscaler with the AWS fleeting plugin
// (gitlabhq/gitlab-runner at d79f3e7b8, v18.3.0-1857), implemented from its documentation: paths
// below are that repository's. taskscaler's source is not public on GitHub; where its rule is
// only documented in words, the reading below is ours and says so.

/** `[runners.autoscaler]` (docs/configuration/advanced-configuration.md:1231-1247). */
const AUTOSCALER = {
  /** "The number of jobs that can be executed concurrently by a single instance." */
  capacityPerInstance: 1,
  /** `update_interval`, default 1m: taskscaler scales on this beat. */
  updateIntervalS: 60,
  /** `update_interval_when_expecting`, default 2s: how soon a booting instance is seen running. */
  updateIntervalWhenExpectingS: 2,
  /** `deletion_retry_interval`, default 1m. */
  deletionRetryIntervalS: 60,
} as const;

/**
 * `max_use_count` has no documented default (0 is unlimited). The docs' examples use 1 (an
 * ephemeral instance per job, docs/executors/docker_autoscaler.md:83-84) or 0
 * (docs/executors/instance.md:199); an idle pool reuses its instances, so we take 10: reuse,
 * bounded so that an instance's disk and state do not grow for ever. Our choice, not GitLab's.
 */
export const MAX_USE_COUNT = 10;

/**
 * The runner manager "must not be a spot instance" (docs/runner_autoscale/
 * gitlab-runner-autoscaler.md:34) and "doesn't have to be a powerful machine"
 * (docs/configuration/runner_autoscale_aws/_index.md:96-98). GitLab names no size: t3.micro
 * on-demand, always on, is our assumption.
 */
const MANAGER_INSTANCE_TYPE = "t3.micro";

interface Slot {
  readonly instance: WorldInstance;
  /** Seen running by taskscaler: it may take jobs. */
  ready: boolean;
  /** Since its last job ended, or since it was ready if it has run none. */
  idleSinceMs: number;
  running?: GitlabModelJob;
  removing: boolean;
}

/**
 * One always-on runner manager with one `[[runners]]` per pool, each registered once in GitLab with
 * the pool's tags and scaling the pool's Auto Scaling group: a job waits for an idle instance, or
 * (preemptive mode off) is taken first and waits for one to be made.
 */
export const idlePoolPolicy = (world: World): PricedControlPlane => {
  const { time, gitlab, config } = world;
  const scalers = new Map<string, PoolScaler>();
  // `concurrent` caps the manager's jobs across its runners; the docs set it to
  // max_instances × capacity_per_instance (docker_autoscaler.md:89), here the global max_instances.
  const jobsInProgress = () =>
    [...scalers.values()].reduce((sum, scaler) => sum + scaler.jobsInProgress, 0);
  const concurrencyLeft = () => config.max_instances - jobsInProgress();

  // The runners are registered once, when the manager is set up (POST /user/runners).
  time.after(0, async () => {
    for (const pool of config.pools) {
      const description = runnerDescription(config.deployment, `${pool.name}-manager`);
      const { id } = await gitlab.createRunner(createRunnerRequest(pool, description));
      const scaler = new PoolScaler(world, pool, id, concurrencyLeft);
      scalers.set(pool.name, scaler);
      scaler.start();
    }
  });

  return {
    // Neither hooks nor EC2 events: the manager polls GitLab and the plugin polls the group.
    onJobHook: async () => {},
    onInstanceStateChange: async () => {},
    boot: (instance) => scalers.get(instance.pool)?.booted(instance),
    leftovers: async () => ({
      // Only the managers' runners are registered, on purpose and for good: not leaks.
      gitlabRunners: 0,
      storedTokens: 0,
      ledgerSlots: 0,
      warmInstances: config.pools.reduce(
        (sum, pool) =>
          sum +
          Math.ceil(poolSettingsAt(pool, time.now()).idleCount / AUTOSCALER.capacityPerInstance),
        0,
      ),
    }),
    costUsd: (elapsedS) => (elapsedS / 3600) * hourlyPrice(MANAGER_INSTANCE_TYPE, "on-demand"),
  };
};

/** One `[[runners]]` section: its job polling (commands/multi.go) and its taskscaler. */
class PoolScaler {
  private readonly slots = new Map<string, Slot>();
  /** Jobs taken from GitLab that wait in Acquire for an instance (preemptive mode off). */
  private readonly waiting: GitlabModelJob[] = [];
  private launches = 0;

  constructor(
    private readonly world: World,
    private readonly pool: PoolConfig,
    private readonly runnerId: number,
    private readonly concurrencyLeft: () => number,
  ) {}

  get jobsInProgress(): number {
    let running = 0;
    for (const slot of this.slots.values()) if (slot.running) running += 1;
    return running + this.waiting.length;
  }

  start(): void {
    const { world } = this;
    const now = world.time.nowMillis;
    world.every(world.settings.checkIntervalS, now, () => this.poll());
    world.every(AUTOSCALER.updateIntervalS, now, () => this.update());
  }

  /**
   * Every check_interval: reserve capacity, then ask GitLab for a job (multi.go:1183 before
   * :1209); on no capacity, no request is sent (provider.go:296-299). After a job it asks again at
   * once, until GitLab has none or capacity or `concurrent` runs out.
   */
  private poll(): void {
    while (this.canReserve() && this.concurrencyLeft() > 0) {
      const job = this.takeJob();
      if (!job) return;
      const slot = this.idleSlot();
      if (slot) this.run(slot, job);
      else this.waiting.push(job);
    }
  }

  /**
   * Preemptive mode, on by default when idle_count > 0 (common/config.go:486-491): jobs are asked
   * for "only when an instance is confirmed to be available"; off, "regardless", up to
   * max_instances × capacity_per_instance (docs/executors/instance.md:79-88).
   */
  private canReserve(): boolean {
    const settings = this.settings();
    if (settings.idleCount > 0) return this.idleSlot() !== undefined;
    return this.jobsInProgress < settings.maxInstances * AUTOSCALER.capacityPerInstance;
  }

  /** POST /jobs/request with the manager's token: the runner API, not the rate-limited REST API. */
  private takeJob(): GitlabModelJob | undefined {
    return this.world.model.requestJob(this.runnerId);
  }

  /**
   * Every update_interval: remove instances idle longer than idle_time "unless needed to maintain
   * the required idle_count" (advanced-configuration.md:1375-1381), then ask the group for
   * ceil((in use + idle_count) / capacity_per_instance) instances, at most max_instances counting
   * pending, running and deleting ones (:1235). This formula is our reading of the documented
   * inputs (docker_autoscaler.md:347); taskscaler's code was not available to check it.
   */
  private async update(): Promise<void> {
    const settings = this.settings();
    await this.removeExpiredIdle(settings);
    let counted = 0;
    let active = 0;
    for (const [id, slot] of this.slots) {
      if (slot.instance.state === "terminated") this.slots.delete(id);
      else {
        counted += 1;
        if (!slot.removing) active += 1;
      }
    }
    const { capacityPerInstance } = AUTOSCALER;
    const desired = Math.min(
      Math.ceil((this.jobsInProgress + settings.idleCount) / capacityPerInstance),
      settings.maxInstances,
    );
    const more = Math.min(desired - active, settings.maxInstances - counted);
    if (more > 0) await this.increase(more);
  }

  private async removeExpiredIdle(settings: PoolSettings): Promise<void> {
    const now = this.world.time.nowMillis;
    const idle = [...this.slots.values()].filter((slot) => this.isIdle(slot));
    const booting = [...this.slots.values()].filter((slot) => !slot.ready && !slot.removing);
    let spare = idle.length + booting.length - this.waiting.length;
    const expired = idle
      .filter((slot) => now - slot.idleSinceMs > settings.idleTimeSeconds * 1000)
      .sort((a, b) => a.idleSinceMs - b.idleSinceMs);
    for (const slot of expired) {
      if (spare - 1 < settings.idleCount) return;
      spare -= 1;
      await this.remove(slot);
    }
  }

  /**
   * The plugin's Increase: one SetDesiredCapacity for the group (fleeting-plugin-aws); the group's
   * own service then launches the instances. They go through WorldCompute so that EC2's buckets
   * and bill apply, but those calls are the ASG's, not the manager's. Refused, the next update asks
   * again.
   */
  private async increase(count: number): Promise<void> {
    const { compute } = this.world;
    this.called("autoscaling:SetDesiredCapacity");
    const { idleTimeSeconds } = this.settings();
    for (let i = 0; i < count; i++) {
      const launchId = `${this.pool.name}-asg-${(this.launches++).toString(16).padStart(8, "0")}`;
      try {
        const launched = await compute.launch({
          launchId,
          count: 1,
          pool: this.pool,
          waitTimeoutSeconds: idleTimeSeconds,
        });
        if (launched.kind !== "launched") return;
        const [first] = launched.instances;
        const instance = compute.instances.get(first?.instanceId ?? "") as WorldInstance;
        this.slots.set(instance.instanceId, {
          instance,
          ready: false,
          idleSinceMs: instance.launchedAtMs,
          removing: false,
        });
      } catch (error) {
        if (error instanceof RequestLimitExceeded) return;
        throw error;
      }
    }
  }

  /**
   * The instance has booted: taskscaler sees it running at its next poll of the group, every
   * update_interval_when_expecting from the launch. A job waiting in Acquire gets it at once.
   */
  booted(instance: WorldInstance): void {
    const slot = this.slots.get(instance.instanceId);
    if (!slot) return;
    const everyMs = AUTOSCALER.updateIntervalWhenExpectingS * 1000;
    const sinceLaunchMs = this.world.time.nowMillis - instance.launchedAtMs;
    const seenInMs = (everyMs - (sinceLaunchMs % everyMs)) % everyMs;
    const seen = () => {
      slot.ready = true;
      slot.idleSinceMs = this.world.time.nowMillis;
      this.world.compute.setPhase(instance, "idle");
      this.next(slot);
    };
    if (seenInMs === 0) seen();
    else this.world.time.after(seenInMs, seen);
  }

  /**
   * The job runs on the instance (the manager drives Docker there over SSH) for its duration; the
   * manager reports it. After max_use_count jobs the instance is removed at once
   * (docker_autoscaler.md:83-84 for a use count of 1).
   */
  private run(slot: Slot, job: GitlabModelJob): void {
    const { time, model, compute } = this.world;
    const { instance } = slot;
    slot.running = job;
    compute.setPhase(instance, "busy");
    this.world.onJobStarted(job);
    const startedMs = time.nowMillis;
    time.after((job.durationSeconds ?? 0) * 1000, async () => {
      slot.running = undefined;
      instance.busyMs += time.nowMillis - startedMs;
      instance.jobsRun += 1;
      if (model.jobs.get(job.id)?.status === "running") model.finishJob(job.id, "success");
      compute.setPhase(instance, "idle");
      slot.idleSinceMs = time.nowMillis;
      if (instance.jobsRun >= MAX_USE_COUNT) await this.remove(slot);
      else this.next(slot);
    });
  }

  /** A free instance goes to the job waiting longest, if any. */
  private next(slot: Slot): void {
    const job = this.waiting.shift();
    if (job) this.run(slot, job);
  }

  /**
   * The plugin's Decrease: TerminateInstanceInAutoScalingGroup, decrementing the desired capacity.
   * Refused, it is retried every deletion_retry_interval.
   */
  private async remove(slot: Slot): Promise<void> {
    const { compute, time } = this.world;
    slot.removing = true;
    this.called("autoscaling:TerminateInstanceInAutoScalingGroup");
    try {
      await compute.terminate([slot.instance.instanceId]);
    } catch (error) {
      if (!(error instanceof RequestLimitExceeded)) throw error;
      time.after(AUTOSCALER.deletionRetryIntervalS * 1000, () => this.remove(slot));
    }
  }

  private idleSlot(): Slot | undefined {
    for (const slot of this.slots.values()) if (this.isIdle(slot)) return slot;
    return undefined;
  }

  private isIdle(slot: Slot): boolean {
    return slot.ready && !slot.running && !slot.removing;
  }

  /** The group's API calls, for the record: EC2 Auto Scaling itself is not billed. */
  private called(api: string): void {
    const { otherCalls } = this.world.meters;
    otherCalls.set(api, (otherCalls.get(api) ?? 0) + 1);
  }

  private settings(): PoolSettings {
    return poolSettingsAt(this.pool, this.world.time.now());
  }
}
