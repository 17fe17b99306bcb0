import { type GitlabModel, poolSettingsAt } from "@ger/core";
import type { AutoscalerConfig, PoolConfig } from "@ger/core/types";
import type { VirtualTime } from "../world/virtual-time";

interface Excuse {
  /** When the current excuse began; undefined while there is none. */
  since?: number;
  /** Excused time before that, in ms. */
  totalMs: number;
}

/**
 * The time each pool had an excuse for a job's wait (DESIGN, invariant 3): its real instances at
 * its max_instances, all of them at the global one, its GitLab scope at the registered-runner cap
 * GitLab enforces (counting GitLab's registrations, and for a few seconds after one is deleted:
 * the control plane's time to fill the slot again), or EC2 without capacity for it (its last
 * launch got no instance, until the next that got one, for at most one scheduled scaler pass: by
 * then the control plane should have asked again). Counted from the instances EC2 reports started
 * and stopping, not from anything the control plane says. Excused time is summed, so a job's
 * share is the difference between its end and its start.
 */
export class PoolExcuses {
  private readonly up = new Map<string, number>();
  /** Pools EC2 refused, until when. */
  private readonly starved = new Map<string, number>();
  private readonly excuses = new Map<string, Excuse>();
  /** Pools at their scope's registered-runner cap when GitLab's runners last changed; and those
   * just below it, until when. */
  private readonly atCap = new Set<string>();
  private readonly refilling = new Map<string, number>();
  private upAll = 0;

  constructor(
    private readonly config: AutoscalerConfig,
    private readonly time: VirtualTime,
    private readonly grace: {
      /** How long a refusal excuses a pool's waits at most. */
      readonly starvedForMs: number;
      /** How long a slot freed under the registered-runner cap still excuses them. */
      readonly refillMs: number;
    },
    /** The pool's GitLab scope holds as many runners as GitLab lets it. */
    private readonly atRegistrationCap: (pool: PoolConfig) => boolean,
  ) {
    for (const pool of config.pools) this.excuses.set(pool.name, { totalMs: 0 });
  }

  get upCount(): number {
    return this.upAll;
  }

  upIn(pool: string): number {
    return this.up.get(pool) ?? 0;
  }

  started(pool: string): void {
    this.up.set(pool, this.upIn(pool) + 1);
    this.upAll += 1;
    this.update();
  }

  stopped(pool: string): void {
    this.up.set(pool, this.upIn(pool) - 1);
    this.upAll -= 1;
    this.update();
  }

  launched(pool: string, gotInstances: boolean): void {
    if (gotInstances) this.starved.delete(pool);
    else {
      const until = this.time.nowMillis + this.grace.starvedForMs;
      this.starved.set(pool, until);
      this.time.at(until, () => this.update());
    }
    this.update();
  }

  /** GitLab created or deleted a runner. */
  registrationsChanged(): void {
    const now = this.time.nowMillis;
    for (const pool of this.config.pools) {
      if (this.atRegistrationCap(pool)) {
        this.atCap.add(pool.name);
        this.refilling.delete(pool.name);
      } else if (this.atCap.delete(pool.name)) {
        const until = now + this.grace.refillMs;
        this.refilling.set(pool.name, until);
        this.time.at(until, () => this.update());
      }
    }
    this.update();
  }

  /** Excused ms of the pool so far (0 for none). */
  total(pool: string | undefined): number {
    const excuse = pool === undefined ? undefined : this.excuses.get(pool);
    if (!excuse) return 0;
    return excuse.totalMs + (excuse.since === undefined ? 0 : this.time.nowMillis - excuse.since);
  }

  private excused(pool: PoolConfig): boolean {
    return (
      (this.starved.get(pool.name) ?? 0) > this.time.nowMillis ||
      this.upAll >= this.config.max_instances ||
      this.upIn(pool.name) >= poolSettingsAt(pool, this.time.now()).maxInstances ||
      this.atRegistrationCap(pool) ||
      (this.refilling.get(pool.name) ?? 0) > this.time.nowMillis
    );
  }

  private update(): void {
    const now = this.time.nowMillis;
    for (const pool of this.config.pools) {
      const excuse = this.excuses.get(pool.name) as Excuse;
      const excused = this.excused(pool);
      if (excused && excuse.since === undefined) excuse.since = now;
      else if (!excused && excuse.since !== undefined) {
        excuse.totalMs += now - excuse.since;
        excuse.since = undefined;
      }
    }
  }
}

/** Whether the pool's group or project holds as many runners as its registered-runner cap in GitLab. */
export const atRegistrationCap = (model: GitlabModel, { runner }: PoolConfig): boolean => {
  const { group, project } = model.registeredRunnerLimits;
  const [limit, filter] =
    runner.runner_type === "group_type"
      ? [group.get(runner.group_id), { runnerType: runner.runner_type, groupId: runner.group_id }]
      : runner.runner_type === "project_type"
        ? [
            project.get(runner.project_id),
            { runnerType: runner.runner_type, projectId: runner.project_id },
          ]
        : [undefined, undefined];
  return limit !== undefined && filter !== undefined && model.listRunners(filter).length >= limit;
};
