import type { InstanceState, Market } from "@ger/core/types";

/** What an instance is doing, for the report: launched, polling without a job, running one, off. */
export type InstancePhase = "booting" | "idle" | "busy" | "stopping";

/** One simulated EC2 instance, with what its bill needs. */
export interface WorldInstance {
  readonly instanceId: string;
  /** The launch it came from, shared by every instance of one fleet request. */
  readonly launchId: string;
  readonly pool: string;
  readonly instanceType: string;
  readonly market: Market;
  readonly launchedAtMs: number;
  /** The launch's idle_time: how long its runner waits for a job (user-data's --wait-timeout). */
  readonly waitTimeoutS: number;
  state: InstanceState;
  phase: InstancePhase;
  /** When it entered `running` (billing starts) and `shutting-down` (billing stops). */
  runningAtMs?: number;
  stoppingAtMs?: number;
  /** Time spent running jobs, for the idle share. */
  busyMs: number;
  jobsRun: number;
  /** Called once when the instance stops (powered off or terminated): its processes end. */
  onStop?: () => void;
}
