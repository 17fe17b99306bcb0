import type { Clock } from "../../ports/clock";
import type {
  Compute,
  ComputeInstance,
  InstanceState,
  LaunchRequest,
  LaunchResult,
} from "../../ports/compute";
import type { Market } from "../../runners/runner-record";

export interface SimulatedInstance {
  readonly instanceId: string;
  readonly launchId: string;
  readonly pool: string;
  readonly instanceType: string;
  readonly market: Market;
  readonly launchedAt: string;
  state: InstanceState;
}

/** EC2 in memory: launches are idempotent by launch id, as CreateFleet is by client token. */
export class InMemoryCompute implements Compute {
  /**
   * Every instance launched, terminated ones too. Tests and the local stack read it and may set an
   * instance's `state`; only `launch` adds to it.
   */
  readonly instances = new Map<string, SimulatedInstance>();
  /** What the next launches answer instead of an instance, once per entry. */
  readonly failures: Exclude<LaunchResult, { kind: "launched" }>[] = [];
  /** Ids `terminate` left alone: no instance of this compute has them. */
  readonly refusedTerminations: string[] = [];
  launchCalls = 0;
  terminateCalls = 0;
  listCalls = 0;
  private nextId = 1;
  /** The client-token index: a launch's instances, in the order the launch returned them. */
  private readonly byLaunch = new Map<string, SimulatedInstance[]>();
  /**
   * Instances not known to be terminated. A `state` set to terminated from outside (a test, the
   * local stack's simulated power-off) is pruned at the next listing.
   */
  private readonly unterminated = new Map<string, SimulatedInstance>();

  constructor(private readonly clock: Clock) {}

  async launch({ launchId, count, pool, onDemand }: LaunchRequest): Promise<LaunchResult> {
    this.launchCalls += 1;
    const earlier = this.byLaunch.get(launchId);
    if (earlier) return launched(earlier);
    const failure = this.failures.shift();
    if (failure) return failure;
    const market: Market = onDemand || pool.instance.market === "on-demand" ? "on-demand" : "spot";
    const instances = Array.from({ length: count }, () => {
      const instance: SimulatedInstance = {
        instanceId: `i-${(this.nextId++).toString(16).padStart(17, "0")}`,
        launchId,
        pool: pool.name,
        instanceType: pool.instance.types[0] ?? "unknown",
        market,
        launchedAt: this.clock.now().toISOString(),
        state: "pending",
      };
      this.instances.set(instance.instanceId, instance);
      this.unterminated.set(instance.instanceId, instance);
      return instance;
    });
    this.byLaunch.set(launchId, instances);
    return launched(instances);
  }

  async listInstances(): Promise<ComputeInstance[]> {
    this.listCalls += 1;
    const listed: ComputeInstance[] = [];
    for (const instance of this.unterminated.values()) {
      if (instance.state === "terminated") {
        this.unterminated.delete(instance.instanceId);
        continue;
      }
      const { instanceId, launchId, pool, market, state, launchedAt } = instance;
      listed.push({ instanceId, launchId, pool, market, state, launchedAt });
    }
    return listed;
  }

  /** As EC2 with this deployment's tag checked: only instances launched here are terminated. */
  async terminate(instanceIds: readonly string[]): Promise<void> {
    this.terminateCalls += 1;
    for (const id of instanceIds) {
      const instance = this.instances.get(id);
      if (instance) {
        instance.state = "terminated";
        this.unterminated.delete(id);
      } else this.refusedTerminations.push(id);
    }
  }
}

const launched = (instances: readonly SimulatedInstance[]): LaunchResult => ({
  kind: "launched",
  instances: instances.map(({ instanceId, instanceType, market }) => ({
    instanceId,
    instanceType,
    market,
  })),
});
