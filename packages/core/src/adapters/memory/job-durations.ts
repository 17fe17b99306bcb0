import {
  DURATION_RETENTION_SECONDS,
  DURATION_SAMPLES,
  type DurationKey,
  durationKeyOf,
  type JobDurations,
} from "../../ports/job-durations";

interface History {
  /** Newest first. */
  readonly samples: readonly number[];
  /** Epoch seconds, as DynamoDB's TTL attribute. */
  readonly expiresAt: number;
}

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** JobDurations in memory, for the simulator and unit tests; the same semantics as DynamoDB's. */
export class InMemoryJobDurations implements JobDurations {
  private readonly histories = new Map<string, History>();

  /** A duration that is not a finite, non-negative number is ignored, as DynamoDB's adapter does. */
  async recordDuration(key: DurationKey, seconds: number, at: Date): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    const id = durationKeyOf(key);
    const known = this.histories.get(id);
    // An expired history is no history: it starts again.
    const kept = known && known.expiresAt > epochSeconds(at) ? known.samples : [];
    this.histories.set(id, {
      samples: [seconds, ...kept].slice(0, DURATION_SAMPLES),
      expiresAt: epochSeconds(at) + DURATION_RETENTION_SECONDS,
    });
  }

  async recentDurations(
    keys: readonly DurationKey[],
    now: Date,
  ): Promise<ReadonlyMap<string, readonly number[]>> {
    const durations = new Map<string, readonly number[]>();
    for (const key of keys) {
      const id = durationKeyOf(key);
      const history = this.histories.get(id);
      if (history === undefined) continue;
      // Forgotten, as DynamoDB's TTL forgets it (later): a long simulation would pile them up.
      if (history.expiresAt <= epochSeconds(now)) this.histories.delete(id);
      else durations.set(id, [...history.samples]);
    }
    return durations;
  }
}
