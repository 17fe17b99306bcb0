import type { InstanceState, Market } from "@ger/core/types";

/** What an instance is doing, for the report: launched, polling without a job, running one, off. */
export type InstancePhase = "booting" | "idle" | "busy" | "stopping";

/** Why an instance shut down: it powered itself off, the control plane terminated it, or EC2 took it back. */
export type StopCause = "powered-off" | "terminated" | "reclaimed";

/** One simulated EC2 instance, with what its bill needs. */
export interface WorldInstance {
  readonly instanceId: string;
  /** The launch it came from, shared by every instance of one fleet request. */
  readonly launchId: string;
  readonly pool: string;
  readonly instanceType: string;
  readonly market: Market;
  /** Launched on-demand because the control plane asked for it (a retry after an interruption). */
  readonly onDemandAsked: boolean;
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
  /** The job its runner runs now, if any. */
  runningJobId?: number;
  /** When EC2 warned that it will reclaim this spot instance. */
  spotWarnedAtMs?: number;
  /** Called once when the instance stops (powered off or terminated): its processes end. */
  onStop?: () => void;
}
