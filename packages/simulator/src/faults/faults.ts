import type { SeededRandom } from "../random";
import { type FaultKind, type FaultSpec, perKind } from "./fault-spec";

/**
 * The faults of one run: whether each strikes at its chance, and how many struck. Each kind draws
 * from a stream of its own, derived from the run's seed, so a run is reproducible and one kind's
 * probability does not move another's draws. Where each is injected (never in the core):
 *
 * - duplicate, reorder, drop: GitLab's hook sender (hook-delivery.ts), per hook sent;
 * - capacity, slowboot: simulated EC2 (world-compute.ts), per CreateFleet market call, per instance;
 * - throttle: EC2 per call (RequestLimitExceeded) and GitLab per call (429 with Retry-After);
 * - gitlab5xx, statuslag: GitLab's API as the control plane sees it (faulty-gitlab.ts), per call
 *   and per job a runner takes;
 * - spot: per job started on a spot instance (spot-interruptions.ts);
 * - eventdrop: EventBridge, per EC2 state change;
 * - crash: per control-plane invocation (crash.ts, wired in the default policy).
 */
export class Faults {
  readonly injected: Record<FaultKind, number> = perKind(() => 0);
  private readonly streams: Record<FaultKind, SeededRandom>;

  constructor(
    readonly spec: FaultSpec,
    random: SeededRandom,
  ) {
    this.streams = perKind((kind) => random.derive(`fault:${kind}`));
  }

  /** Some kind may strike. */
  get any(): boolean {
    return Object.values(this.spec).some((p) => (p ?? 0) > 0);
  }

  probability(kind: FaultKind): number {
    return this.spec[kind] ?? 0;
  }

  /** Whether `kind` strikes at this chance; draws nothing when it never does. Not yet counted. */
  roll(kind: FaultKind): boolean {
    const p = this.probability(kind);
    return p > 0 && this.streams[kind].next() < p;
  }

  /** Counts one fault of `kind` that took effect. */
  note(kind: FaultKind, count = 1): void {
    this.injected[kind] += count;
  }

  /** Rolls and, when it strikes, counts. */
  strike(kind: FaultKind): boolean {
    if (!this.roll(kind)) return false;
    this.note(kind);
    return true;
  }

  /** The kind's own stream, for what a fault that struck looks like (a delay, a status code). */
  random(kind: FaultKind): SeededRandom {
    return this.streams[kind];
  }
}
