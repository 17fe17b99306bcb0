/** A named, expiring lock: one reaper pass at a time, and a crashed holder's lock runs out. */
export interface Lease {
  /** True when `holder` now holds `name` until `now + seconds`. */
  tryAcquire(name: string, holder: string, seconds: number, now: Date): Promise<boolean>;
  /** Gives it back early, if `holder` still holds it. */
  release(name: string, holder: string): Promise<void>;
}
