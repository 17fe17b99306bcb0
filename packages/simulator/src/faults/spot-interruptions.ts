import type { GitlabModelJob } from "@ger/core";
import type { VirtualTime } from "../world/virtual-time";
import type { WorldInstance } from "../world/world-instance";
import type { Faults } from "./faults";

/** EC2 warns two minutes before it reclaims a spot instance. */
export const SPOT_WARNING_S = 120;

export interface SpotMarketOptions {
  readonly time: VirtualTime;
  readonly faults: Faults;
  /** EventBridge delivers the warning (after its usual delay). */
  readonly warn: (instance: WorldInstance) => void;
  /** EC2 takes the instance back: it shuts down, and its job dies with it. */
  readonly reclaim: (instance: WorldInstance) => void;
}

/**
 * Spot interruptions (the spot fault), for instances that run a job: with the fault's probability
 * per job started on a spot instance, the warning comes at a uniform instant of the job's run, and
 * the instance is reclaimed two minutes later, whatever it does then: a job still running dies
 * with it (one that ends first has its instance powered off already).
 */
export class SpotMarket {
  constructor(private readonly options: SpotMarketOptions) {}

  jobStarted(job: GitlabModelJob, instance: WorldInstance): void {
    const { time, faults } = this.options;
    if (instance.market !== "spot" || !faults.roll("spot")) return;
    const warnInMs = faults.random("spot").between(0, (job.durationSeconds ?? 0) * 1000);
    time.after(warnInMs, () => {
      if (instance.state !== "running") return;
      faults.note("spot");
      instance.spotWarnedAtMs = time.nowMillis;
      this.options.warn(instance);
      time.after(SPOT_WARNING_S * 1000, () => {
        if (instance.state === "running") this.options.reclaim(instance);
      });
    });
  }
}
