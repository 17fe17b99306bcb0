/**
 * A token bucket that refuses, as EC2's API buckets do (RequestLimitExceeded): `capacity` at once,
 * refilled at `perSecond`. Time is read from `nowMs`, so it runs on virtual time.
 */
export class RefusingBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly nowMs: () => number,
  ) {
    this.tokens = capacity;
    this.lastMs = nowMs();
  }

  /** Takes `count` tokens if the bucket holds them; false (and takes none) otherwise. */
  tryTake(count = 1): boolean {
    const now = this.nowMs();
    this.tokens = Math.min(
      this.capacity,
      this.tokens + ((now - this.lastMs) / 1000) * this.perSecond,
    );
    this.lastMs = now;
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }
}
