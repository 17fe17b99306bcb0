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
  readonly runnerName: string;
  readonly pool: string;
  readonly instanceType: string;
  readonly market: Market;
  readonly launchedAt: string;
  state: InstanceState;
}

/** EC2 in memory: launches are idempotent by runner name, as CreateFleet is by client token. */
export class InMemoryCompute implements Compute {
  readonly instances = new Map<string, SimulatedInstance>();
  /** What the next launches answer instead of an instance, once per entry. */
  readonly failures: Exclude<LaunchResult, { kind: "launched" }>[] = [];
  /** Ids `terminate` left alone: no instance of this compute has them. */
  readonly refusedTerminations: string[] = [];
  launchCalls = 0;
  terminateCalls = 0;
  listCalls = 0;
  private nextId = 1;

  constructor(private readonly clock: Clock) {}

  async launch({ runnerName, pool, onDemand }: LaunchRequest): Promise<LaunchResult> {
    this.launchCalls += 1;
    const earlier = [...this.instances.values()].find(
      (instance) => instance.runnerName === runnerName,
    );
    if (earlier) return { kind: "launched", ...earlier };
    const failure = this.failures.shift();
    if (failure) return failure;
    const market: Market = onDemand || pool.instance.market === "on-demand" ? "on-demand" : "spot";
    const instance: SimulatedInstance = {
      instanceId: `i-${(this.nextId++).toString(16).padStart(17, "0")}`,
      runnerName,
      pool: pool.name,
      instanceType: pool.instance.types[0] ?? "unknown",
      market,
      launchedAt: this.clock.now().toISOString(),
      state: "pending",
    };
    this.instances.set(instance.instanceId, instance);
    return {
      kind: "launched",
      instanceId: instance.instanceId,
      instanceType: instance.instanceType,
      market,
    };
  }

  async listInstances(): Promise<ComputeInstance[]> {
    this.listCalls += 1;
    return [...this.instances.values()]
      .filter((instance) => instance.state !== "terminated")
      .map(({ instanceId, runnerName, pool, state, launchedAt }) => ({
        instanceId,
        runnerName,
        pool,
        state,
        launchedAt,
      }));
  }

  /** As EC2 with this deployment's tag checked: only instances launched here are terminated. */
  async terminate(instanceIds: readonly string[]): Promise<void> {
    this.terminateCalls += 1;
    for (const id of instanceIds) {
      const instance = this.instances.get(id);
      if (instance) instance.state = "terminated";
      else this.refusedTerminations.push(id);
    }
  }
}
