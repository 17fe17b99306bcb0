import type { GitlabModelJob } from "@ger/core";
import type { VirtualTime } from "../world/virtual-time";
import type { Faults } from "./faults";

/** What a delivery carries besides the body: GitLab's Idempotency-Key header (one per hook). */
export interface HookDelivery {
  readonly idempotencyKey: string;
}

export type DeliverHook = (
  body: () => string,
  job: GitlabModelJob,
  delivery: HookDelivery,
) => Promise<void>;

/** A reordered hook is held back by up to this, past its usual delay: "a few seconds". */
export const REORDER_WINDOW_S = 5;
/** A duplicate follows its hook within this. */
export const DUPLICATE_WITHIN_S = 10;

/**
 * GitLab's hook sender: each status change is one hook, sent after its usual delay, with the
 * faults that strike it. drop: never sent (GitLab does not redeliver); reorder: held back within
 * the window, counted when a hook sent after it arrives first; duplicate: delivered again, half
 * the time with the same Idempotency-Key (a redelivery), half with a new one (a second hook).
 */
export class HookSender {
  private sent = 0;
  /** The highest sequence number delivered so far. */
  private newestDelivered = -1;

  constructor(
    private readonly time: VirtualTime,
    private readonly faults: Faults,
    private readonly deliver: DeliverHook,
  ) {}

  send(body: () => string, job: GitlabModelJob, delayMs: number): void {
    const seq = this.sent++;
    const key = `hook-${seq}`;
    if (this.faults.strike("drop")) return;
    const held = this.faults.roll("reorder");
    const holdMs = held ? this.faults.random("reorder").between(0, REORDER_WINDOW_S) * 1000 : 0;
    this.at(delayMs + holdMs, seq, held, () => this.deliver(body, job, { idempotencyKey: key }));
    if (!this.faults.strike("duplicate")) return;
    const random = this.faults.random("duplicate");
    const again = random.chance(0.5) ? key : `${key}-again`;
    const afterMs = delayMs + holdMs + random.between(0, DUPLICATE_WITHIN_S) * 1000;
    this.at(afterMs, seq, false, () => this.deliver(body, job, { idempotencyKey: again }));
  }

  private at(delayMs: number, seq: number, held: boolean, action: () => Promise<void>): void {
    this.time.after(delayMs, () => {
      if (held && seq < this.newestDelivered) this.faults.note("reorder");
      this.newestDelivered = Math.max(this.newestDelivered, seq);
      return action();
    });
  }
}
