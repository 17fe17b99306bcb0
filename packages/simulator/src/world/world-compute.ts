import type {
  Compute,
  ComputeInstance,
  LaunchRequest,
  LaunchResult,
  Market,
} from "@ger/core/types";
import type { SeededRandom } from "../random";
import { RefusingBucket } from "./refusing-bucket";
import type { VirtualTime } from "./virtual-time";
import type { InstancePhase, WorldInstance } from "./world-instance";
import type { WorldSettings } from "./world-settings";

/** EC2's answer to a call over its token bucket, as the SDK surfaces it once its retries are spent. */
export class RequestLimitExceeded extends Error {
  override readonly name = "RequestLimitExceeded";
}

export interface WorldComputeOptions {
  readonly time: VirtualTime;
  readonly random: SeededRandom;
  readonly settings: WorldSettings;
  /** What an instance runs once booted: its user-data. */
  readonly boot: (instance: WorldInstance) => void;
  /** EC2 state changes, as EventBridge would deliver them. */
  readonly onStateChange: (instance: WorldInstance) => void;
  /** USD per hour for an instance of this type in this market. */
  readonly hourlyPrice: (instanceType: string, market: Market) => number;
}

export interface Ec2Calls {
  createFleet: number;
  describeInstances: number;
  terminateInstances: number;
  throttled: number;
}

/**
 * EC2 for the simulator, behind the same Compute port as CreateFleet: launches idempotent by
 * runner name (the client token), drawing on EC2's token buckets; instances that boot, run their
 * user-data, power off and are billed per second from `running` to `shutting-down`.
 */
export class WorldCompute implements Compute {
  readonly instances = new Map<string, WorldInstance>();
  private readonly live = new Map<string, WorldInstance>();
  private readonly byLaunch = new Map<string, WorldInstance[]>();
  readonly calls: Ec2Calls = {
    createFleet: 0,
    describeInstances: 0,
    terminateInstances: 0,
    throttled: 0,
  };
  readonly phases: Record<InstancePhase, number> = { booting: 0, idle: 0, busy: 0, stopping: 0 };
  /** The most instances pending or running at once (shutting-down ones are on their way out). */
  maxConcurrent = 0;
  private up = 0;
  /** The bill of instances that have stopped, and their idle share. */
  private stoppedCostUsd = 0;
  private nextId = 1;
  private readonly mutating: RefusingBucket;
  private readonly launched: RefusingBucket;
  private readonly terminating: RefusingBucket;
  private readonly describing: RefusingBucket;

  constructor(private readonly options: WorldComputeOptions) {
    const { settings, time } = options;
    const now = () => time.nowMillis;
    const bucket = ({ capacity, perSecond }: { capacity: number; perSecond: number }) =>
      new RefusingBucket(capacity, perSecond, now);
    this.mutating = bucket(settings.ec2MutatingBucket);
    this.launched = bucket(settings.ec2InstanceBucket);
    this.terminating = bucket(settings.ec2TerminateBucket);
    this.describing = bucket(settings.ec2DescribeBucket);
  }

  /**
   * One CreateFleet for `count` instances: one mutating-bucket token, `count` instance tokens, all
   * or none. A launch id seen before gets its instances again (the client token).
   */
  async launch(request: LaunchRequest): Promise<LaunchResult> {
    this.calls.createFleet += 1;
    this.admit(this.mutating);
    const earlier = this.byLaunch.get(request.launchId);
    if (earlier) return launched(earlier);
    this.admit(this.launched, request.count);
    const instances = Array.from({ length: request.count }, () => this.start(request));
    this.byLaunch.set(request.launchId, instances);
    return launched(instances);
  }

  private start(request: LaunchRequest): WorldInstance {
    const { pool } = request;
    const market: Market =
      request.onDemand || pool.instance.market === "on-demand" ? "on-demand" : "spot";
    const instance: WorldInstance = {
      instanceId: `i-${(this.nextId++).toString(16).padStart(17, "0")}`,
      launchId: request.launchId,
      pool: pool.name,
      instanceType: pool.instance.types[0] ?? "unknown",
      market,
      launchedAtMs: this.options.time.nowMillis,
      waitTimeoutS: request.waitTimeoutSeconds,
      state: "pending",
      phase: "booting",
      busyMs: 0,
      jobsRun: 0,
    };
    this.instances.set(instance.instanceId, instance);
    this.live.set(instance.instanceId, instance);
    this.phases.booting += 1;
    this.up += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.up);
    this.scheduleBoot(instance);
    return instance;
  }

  async listInstances(): Promise<ComputeInstance[]> {
    this.calls.describeInstances += 1;
    this.admit(this.describing);
    return [...this.live.values()].map(
      ({ instanceId, launchId, pool, market, state, launchedAtMs }) => ({
        instanceId,
        launchId,
        pool,
        market,
        state,
        launchedAt: new Date(launchedAtMs).toISOString(),
      }),
    );
  }

  /** As the real adapter: DescribeInstances to check the deployment's tag, then TerminateInstances. */
  async terminate(instanceIds: readonly string[]): Promise<void> {
    this.calls.describeInstances += 1;
    this.admit(this.describing);
    this.calls.terminateInstances += 1;
    this.admit(this.terminating);
    for (const id of instanceIds) {
      const instance = this.live.get(id);
      if (instance && instance.state !== "shutting-down") this.shutDown(instance);
    }
  }

  /** The instance powers itself off (its user-data's last step). */
  powerOff(instance: WorldInstance): void {
    if (this.live.has(instance.instanceId) && instance.state !== "shutting-down")
      this.shutDown(instance);
  }

  setPhase(instance: WorldInstance, phase: InstancePhase): void {
    if (instance.phase === phase) return;
    this.phases[instance.phase] -= 1;
    this.phases[phase] += 1;
    instance.phase = phase;
  }

  /** Instances not yet terminated. */
  get liveCount(): number {
    return this.live.size;
  }

  liveInstances(): IterableIterator<WorldInstance> {
    return this.live.values();
  }

  /**
   * Billed seconds: from `running` to `shutting-down` (pending, shutting-down and terminated are
   * not billed), per second with the minimum; an instance still running is billed to `nowMs`.
   */
  billedSeconds(instance: WorldInstance, nowMs: number): number {
    if (instance.runningAtMs === undefined) return 0;
    const endMs = instance.stoppingAtMs ?? nowMs;
    return Math.max(
      this.options.settings.billingMinimumS,
      Math.ceil((endMs - instance.runningAtMs) / 1000),
    );
  }

  costUsd(instance: WorldInstance, nowMs: number): number {
    return (
      (this.billedSeconds(instance, nowMs) / 3600) *
      this.options.hourlyPrice(instance.instanceType, instance.market)
    );
  }

  /** The EC2 bill so far: cheap enough to call for every sample (only live instances are summed). */
  spentUsd(nowMs: number): number {
    let total = this.stoppedCostUsd;
    for (const instance of this.live.values())
      if (instance.stoppingAtMs === undefined) total += this.costUsd(instance, nowMs);
    return total;
  }

  private admit(bucket: RefusingBucket, tokens = 1): void {
    if (bucket.tryTake(tokens)) return;
    this.calls.throttled += 1;
    throw new RequestLimitExceeded("Request limit exceeded.");
  }

  private scheduleBoot(instance: WorldInstance): void {
    const { time, random, settings } = this.options;
    const bootMs = random.logNormal(settings.bootMedianS, settings.bootP95S) * 1000;
    time.after(bootMs * settings.pendingShareOfBoot, () => {
      if (instance.state !== "pending") return;
      instance.state = "running";
      instance.runningAtMs = time.nowMillis;
      this.options.onStateChange(instance);
    });
    time.after(bootMs, () => {
      if (instance.state === "running") this.options.boot(instance);
    });
  }

  private shutDown(instance: WorldInstance): void {
    const { time, settings } = this.options;
    instance.state = "shutting-down";
    instance.stoppingAtMs = time.nowMillis;
    this.up -= 1;
    this.stoppedCostUsd += this.costUsd(instance, time.nowMillis);
    this.setPhase(instance, "stopping");
    instance.onStop?.();
    this.options.onStateChange(instance);
    time.after(settings.powerOffS * 1000, () => {
      instance.state = "terminated";
      this.live.delete(instance.instanceId);
      this.phases.stopping -= 1;
      this.options.onStateChange(instance);
    });
  }
}

const launched = (instances: readonly WorldInstance[]): LaunchResult => ({
  kind: "launched",
  instances: instances.map(({ instanceId, instanceType, market }) => ({
    instanceId,
    instanceType,
    market,
  })),
});
