import type { Clock } from "@ger/core/types";

type Action = () => void | Promise<void>;

interface Entry {
  readonly atMs: number;
  readonly seq: number;
  readonly action: Action;
}

/**
 * Virtual time: a clock that stands still while an action runs, and a queue of actions by due
 * time. Actions run one at a time, each to completion (the in-memory adapters resolve without
 * timers), so a run is a pure function of its inputs and its seed. Ties run in scheduling order.
 */
export class VirtualTime implements Clock {
  private nowMs: number;
  private seq = 0;
  private readonly heap: Entry[] = [];
  /** Actions run so far. */
  executed = 0;

  constructor(start: Date) {
    this.nowMs = start.getTime();
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  get nowMillis(): number {
    return this.nowMs;
  }

  /** Runs `action` `delayMs` from now (at once, after what is due now, for 0). */
  after(delayMs: number, action: Action): void {
    this.at(this.nowMs + Math.max(0, delayMs), action);
  }

  at(atMs: number, action: Action): void {
    this.push({ atMs: Math.max(atMs, this.nowMs), seq: this.seq++, action });
  }

  /** Runs `action` every `periodMs`, first at `firstAtMs`, until `until()` says stop. */
  every(periodMs: number, firstAtMs: number, action: Action, until: () => boolean): void {
    const tick = async () => {
      if (until()) return;
      await action();
      this.after(periodMs, tick);
    };
    this.at(firstAtMs, tick);
  }

  /** Runs due actions in order until the queue is empty or the next is after `endMs`. */
  async runUntil(endMs: number): Promise<void> {
    for (;;) {
      const next = this.heap[0];
      if (!next || next.atMs > endMs) break;
      this.pop();
      this.nowMs = next.atMs;
      this.executed += 1;
      await next.action();
    }
    this.nowMs = Math.max(this.nowMs, endMs);
  }

  get pending(): number {
    return this.heap.length;
  }

  private before(a: Entry, b: Entry): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i] as Entry, heap[parent] as Entry)) break;
      [heap[i], heap[parent]] = [heap[parent] as Entry, heap[i] as Entry];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as Entry;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.before(heap[left] as Entry, heap[smallest] as Entry))
        smallest = left;
      if (right < heap.length && this.before(heap[right] as Entry, heap[smallest] as Entry))
        smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as Entry, heap[i] as Entry];
      i = smallest;
    }
  }
}
