import { setTimeout as sleep } from "node:timers/promises";

/**
 * A client-side token bucket: `capacity` calls at once, then `perSecond` a second. Callers wait for
 * a token instead of being refused, so a burst is spread out rather than thrown at the API (and
 * answered with 429s that cost more time than waiting).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number) => Promise<unknown> = sleep,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  async take(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(
        this.capacity,
        this.tokens + ((now - this.last) / 1000) * this.perSecond,
      );
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.wait(((1 - this.tokens) / this.perSecond) * 1000);
    }
  }
}
