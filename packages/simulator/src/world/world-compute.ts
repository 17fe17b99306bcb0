import { marketOrder } from "@ger/core";
import type {
  Compute,
  ComputeInstance,
  LaunchRequest,
  LaunchResult,
  Market,
  PoolConfig,
} from "@ger/core/types";
import { Faults } from "../faults/faults";
import { fleetAnswer } from "../faults/fleet-capacity";
import type { SeededRandom } from "../random";
import { RefusingBucket } from "./refusing-bucket";
import type { VirtualTime } from "./virtual-time";
import type { InstancePhase, StopCause, WorldInstance } from "./world-instance";
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
  /** capacity, throttle and slowboot strike here; none without. */
  readonly faults?: Faults;
  readonly observer?: ComputeObserver;
}

/** What the invariants hear of EC2. */
export interface ComputeObserver {
  /** An instance was launched (it is pending). */
  started(instance: WorldInstance): void;
  /** It starts shutting down, still running what it ran; its job dies right after. */
  stopping(instance: WorldInstance, cause: StopCause): void;
  /** A launch of the pool's gave some instances (true), or capacity gave none (false). */
  launched(pool: string, gotInstances: boolean): void;
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
  /**
   * Each call's answer by client token (a launch id and a market, as the EC2 adapter names its
   * calls): a call repeated with it gets the same answer, also one with no instance.
   */
  private readonly byClientToken = new Map<
    string,
    { instances: WorldInstance[]; errors: readonly string[] }
  >();
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
  private readonly upByPool = new Map<string, number>();
  private readonly faults: Faults;
  /** The bill of instances that have stopped, and their idle share. */
  private stoppedCostUsd = 0;
  private nextId = 1;
  private readonly mutating: RefusingBucket;
  private readonly launched: RefusingBucket;
  private readonly terminating: RefusingBucket;
  private readonly describing: RefusingBucket;

  constructor(private readonly options: WorldComputeOptions) {
    const { settings, time } = options;
    this.faults = options.faults ?? new Faults({}, options.random);
    const now = () => time.nowMillis;
    const bucket = ({ capacity, perSecond }: { capacity: number; perSecond: number }) =>
      new RefusingBucket(capacity, perSecond, now);
    this.mutating = bucket(settings.ec2MutatingBucket);
    this.launched = bucket(settings.ec2InstanceBucket);
    this.terminating = bucket(settings.ec2TerminateBucket);
    this.describing = bucket(settings.ec2DescribeBucket);
  }

  /**
   * As the EC2 adapter launches: one CreateFleet per market the pool allows, in order, each for
   * what the earlier ones could not fill (spot, then on-demand). Each call takes one
   * mutating-bucket token, and its instances' tokens, all or none; a client token (launch id and
   * market) seen before gets its instances again. No instance in any market: no_capacity.
   */
  async launch(request: LaunchRequest): Promise<LaunchResult> {
    const instances: WorldInstance[] = [];
    const errors: string[] = [];
    for (const market of marketOrder(request.pool, request.onDemand)) {
      const wanted = request.count - instances.length;
      if (wanted <= 0) break;
      instances.push(...this.createFleet(request, market, wanted, errors));
    }
    this.options.observer?.launched(request.pool.name, instances.length > 0);
    return instances.length > 0 ? launched(instances) : { kind: "no_capacity", errors };
  }

  private createFleet(
    request: LaunchRequest,
    market: Market,
    wanted: number,
    errors: string[],
  ): WorldInstance[] {
    this.calls.createFleet += 1;
    this.admit(this.mutating);
    const clientToken = `${request.launchId}-${market}`;
    const earlier = this.byClientToken.get(clientToken);
    if (earlier) {
      errors.push(...earlier.errors);
      return earlier.instances;
    }
    const answer = fleetAnswer(this.faults, request.pool, wanted);
    if (answer.count > 0) this.admit(this.launched, answer.count, false);
    const instances = Array.from({ length: answer.count }, () =>
      this.start(request, market, answer.instanceType),
    );
    this.byClientToken.set(clientToken, { instances, errors: answer.errors });
    errors.push(...answer.errors);
    return instances;
  }

  private start(request: LaunchRequest, market: Market, instanceType: string): WorldInstance {
    const { pool } = request;
    const instance: WorldInstance = {
      instanceId: `i-${(this.nextId++).toString(16).padStart(17, "0")}`,
      launchId: request.launchId,
      pool: pool.name,
      instanceType,
      market,
      onDemandAsked: request.onDemand === true,
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
    this.upByPool.set(pool.name, this.upIn(pool.name) + 1);
    this.maxConcurrent = Math.max(this.maxConcurrent, this.up);
    this.scheduleBoot(instance, pool);
    this.options.observer?.started(instance);
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
      if (instance && instance.state !== "shutting-down") this.shutDown(instance, "terminated");
    }
  }

  /** The instance powers itself off (its user-data's last step). */
  powerOff(instance: WorldInstance): void {
    if (this.live.has(instance.instanceId) && instance.state !== "shutting-down")
      this.shutDown(instance, "powered-off");
  }

  /** EC2 takes a spot instance back. */
  reclaim(instance: WorldInstance): void {
    if (this.live.has(instance.instanceId) && instance.state !== "shutting-down")
      this.shutDown(instance, "reclaimed");
  }

  /** Instances pending or running, in all pools, or in one. */
  get upCount(): number {
    return this.up;
  }

  upIn(pool: string): number {
    return this.upByPool.get(pool) ?? 0;
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

  /** A call over its bucket, or refused; an API call (`call`) may also be throttled by the fault. */
  private admit(bucket: RefusingBucket, tokens = 1, call = true): void {
    if (!(call && this.faults.strike("throttle")) && bucket.tryTake(tokens)) return;
    this.calls.throttled += 1;
    throw new RequestLimitExceeded("Request limit exceeded.");
  }

  /**
   * Pending for its share of the boot, then running; its user-data starts the runner at the end of
   * the boot. slowboot: the runner never starts, or starts only after the pool's boot_timeout.
   */
  private scheduleBoot(instance: WorldInstance, pool: PoolConfig): void {
    const { time, random, settings } = this.options;
    const bootMs = random.logNormal(settings.bootMedianS, settings.bootP95S) * 1000;
    time.after(bootMs * settings.pendingShareOfBoot, () => {
      if (instance.state !== "pending") return;
      instance.state = "running";
      instance.runningAtMs = time.nowMillis;
      this.options.onStateChange(instance);
    });
    let runnerAtMs = bootMs;
    if (this.faults.strike("slowboot")) {
      const slow = this.faults.random("slowboot");
      if (slow.chance(0.5)) return;
      runnerAtMs = Math.max(bootMs, pool.boot_timeout * 1000) + slow.between(1, 180) * 1000;
    }
    time.after(runnerAtMs, () => {
      if (instance.state === "running") this.options.boot(instance);
    });
  }

  private shutDown(instance: WorldInstance, cause: StopCause): void {
    const { time, settings } = this.options;
    this.options.observer?.stopping(instance, cause);
    instance.state = "shutting-down";
    instance.stoppingAtMs = time.nowMillis;
    this.up -= 1;
    this.upByPool.set(instance.pool, this.upIn(instance.pool) - 1);
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
