import type { PoolConfig } from "../pools/autoscaler-config";
import type { Market } from "../runners/runner-record";

export interface LaunchRequest {
  /** Becomes the instance's RunnerName tag and the idempotency (client) token of the launch. */
  readonly runnerName: string;
  readonly pool: PoolConfig;
  /** How long the runner waits for a job before it gives up and powers off (the idle_time in force). */
  readonly waitTimeoutSeconds: number;
  /** On-demand capacity only, whatever the pool's market. */
  readonly onDemand?: boolean;
}

export type LaunchResult =
  | {
      readonly kind: "launched";
      readonly instanceId: string;
      readonly instanceType: string;
      readonly market: Market;
    }
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
  readonly runnerName: string;
  readonly pool: string;
  readonly state: InstanceState;
  readonly launchedAt: string;
}

/** Instances, fleeting-style: the cloud knows nothing of jobs or caps. */
export interface Compute {
  launch(request: LaunchRequest): Promise<LaunchResult>;
  /** Every instance carrying this deployment's tag that is not yet terminated. */
  listInstances(): Promise<ComputeInstance[]>;
  /** Terminates instances; ones already gone are not an error. */
  terminate(instanceIds: readonly string[]): Promise<void>;
}
