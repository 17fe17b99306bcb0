import type { PoolConfig } from "../pools/autoscaler-config";
import type { Market } from "../runners/runner-record";

export interface LaunchRequest {
  /**
   * Names the launch: its idempotency (client) token, and the launch tag each of its instances
   * carries. The name of its first runner: unique, and the same when a crashed launch is resumed.
   */
  readonly launchId: string;
  /** Instances wanted, one for each runner of the launch; a resumed launch asks the same. */
  readonly count: number;
  readonly pool: PoolConfig;
  /** How long each runner waits for a job before it gives up and powers off (the idle_time in force). */
  readonly waitTimeoutSeconds: number;
  /** On-demand capacity only, whatever the pool's market. */
  readonly onDemand?: boolean;
}

export interface LaunchedInstance {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly market: Market;
}

export type LaunchResult =
  /**
   * One to `count` instances, in a fixed order (by market tried, then instance id), so a resumed
   * launch pairs each with the same runner; fewer than asked when capacity ran out.
   */
  | { readonly kind: "launched"; readonly instances: readonly LaunchedInstance[] }
  /** No instance anywhere the pool allows (every type, subnet and market tried). */
  | { readonly kind: "no_capacity"; readonly errors: readonly string[] }
  /** An account limit: retrying will not help until someone raises it. */
  | { readonly kind: "quota_exceeded"; readonly code: string; readonly message: string }
  | { readonly kind: "failed"; readonly code: string; readonly message: string };

export type InstanceState =
  | "pending"
  | "running"
  | "stopping"
  | "stopped"
  | "shutting-down"
  | "terminated";

/** An instance this deployment launched, as the cloud reports it. */
export interface ComputeInstance {
  readonly instanceId: string;
  /** The launch it came from (its tag): many instances may share one. */
  readonly launchId: string;
  readonly pool: string;
  readonly market: Market;
  readonly state: InstanceState;
  readonly launchedAt: string;
}

/** Instances, fleeting-style: the cloud knows nothing of jobs or caps. */
export interface Compute {
  /** Launches `count` instances in one call; repeated with the same launch id, the same ones. */
  launch(request: LaunchRequest): Promise<LaunchResult>;
  /** Every instance carrying this deployment's tag that is not yet terminated. */
  listInstances(): Promise<ComputeInstance[]>;
  /** Terminates instances; ones already gone are not an error. */
  terminate(instanceIds: readonly string[]): Promise<void>;
}
