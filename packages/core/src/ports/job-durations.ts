/** A job by what its runs have in common: its project and its name (see historyName). */
export interface DurationKey {
  readonly projectId: number;
  readonly name: string;
}

/** How many of a job's latest durations are kept: enough for a quantile, one small item. */
export const DURATION_SAMPLES = 10;

/** A job name no run has finished under for this long is forgotten (DynamoDB TTL). */
export const DURATION_RETENTION_SECONDS = 30 * 24 * 3600;

/**
 * The jobs of one pipeline that run in parallel (`parallel: 3` names them `test 1/3` … `test 3/3`)
 * split the same work: they share one history.
 */
export const historyName = (name: string): string => name.replace(/ \d+\/\d+$/, "");

/** The map key of a DurationKey in recentDurations' answer. */
export const durationKeyOf = (key: DurationKey): string =>
  `${key.projectId}#${historyName(key.name)}`;

/** How long each job of a project took when it succeeded, learned from the finished hooks. */
export interface JobDurations {
  /**
   * Adds one successful run's duration to the history of its job, keeping the newest
   * DURATION_SAMPLES. Best effort under concurrency: a sample lost to a concurrent write is an
   * estimate's loss, not a state's.
   */
  recordDuration(key: DurationKey, seconds: number, at: Date): Promise<void>;
  /**
   * The kept durations (seconds, newest first) of each of `keys` that has any, by durationKeyOf;
   * a key without history is absent. Expired histories are absent too.
   */
  recentDurations(
    keys: readonly DurationKey[],
    now: Date,
  ): Promise<ReadonlyMap<string, readonly number[]>>;
}
