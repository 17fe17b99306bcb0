import type { PoolSupply } from "../pools/scaling-policy";

/**
 * A runner's life, one record per runner, each step written before the next is taken so that a
 * crash anywhere leaves a record the reaper can finish or roll back:
 * reserved (slot taken) → registered (GitLab runner created, token stored) → launching (its place
 * in one fleet request for the pool's new runners) → booting (instance id known, token granted) → idle (polling GitLab) → busy (running its job) →
 * finished (job done, instance powering off) → retiring (claimed by one retirement) → gone
 * (instance, GitLab runner, token, slot released).
 */
export const RUNNER_STATES = [
  "reserved",
  "registered",
  "launching",
  "booting",
  "idle",
  "busy",
  "finished",
  "retiring",
  "gone",
] as const;

export type RunnerState = (typeof RUNNER_STATES)[number];

export type Market = "spot" | "on-demand";

export interface RunnerRecord {
  /** Unique in the deployment; also the token's parameter name (until granted) and the GitLab description. */
  readonly name: string;
  readonly pool: string;
  readonly state: RunnerState;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly gitlabRunnerId?: number;
  /** The capped GitLab scope (`group#42`) whose registered-runner count its slot is taken in. */
  readonly registrationScope?: string;
  readonly instanceId?: string;
  readonly instanceType?: string;
  readonly market?: Market;
  /** Launched on-demand whatever the pool's market: it was started for a job retried after a spot interruption. */
  readonly onDemand?: boolean;
  readonly jobId?: number;
  /**
   * The launch it is part of (its id, the first runner's name, is the EC2 client token), this
   * runner's place in it and the launch's size: instance `launchIndex` of the launch is this
   * runner's, also when a crashed launch is resumed.
   */
  readonly launchId?: string;
  readonly launchIndex?: number;
  readonly launchSize?: number;
  /** Why the last step failed, for operators. */
  readonly lastError?: string;
}

const PHASE: Readonly<Record<Exclude<RunnerState, "gone">, keyof PoolSupply>> = {
  reserved: "creating",
  registered: "creating",
  launching: "creating",
  booting: "booting",
  idle: "idle",
  busy: "busy",
  finished: "draining",
  retiring: "draining",
};

/** The runner can still take a job: it is on its way or polling GitLab. */
export const canTakeJob = (state: RunnerState): boolean =>
  state !== "gone" && ["creating", "booting", "idle"].includes(PHASE[state]);

/** Counts a pool's live runners by the phases the scaling policy reasons about. */
export const supplyOf = (runners: readonly Pick<RunnerRecord, "state">[]): PoolSupply => {
  const supply = { creating: 0, booting: 0, idle: 0, busy: 0, draining: 0 };
  for (const { state } of runners) if (state !== "gone") supply[PHASE[state]] += 1;
  return supply;
};
