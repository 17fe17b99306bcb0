/**
 * A job name no run has finished under yet is assumed to take this long: a typical CI job takes
 * minutes. Too short a guess starts a runner early (idle seconds, bounded by idle_time and the
 * pool's lookahead.max_runners), too long a guess leaves the job to wait a boot, as without
 * lookahead; the first success of the name replaces the guess.
 */
export const DURATION_PRIOR_SECONDS = 300;

/**
 * The quantile of a job's recent durations its next run is assumed to take: below the median, so
 * that a stage ending a little early still finds its runners up; the lead time covers the rest.
 */
const ESTIMATE_QUANTILE = 0.25;

/** How long a job's next run is expected to take, from its recent successful runs (or the prior). */
export const estimateDurationSeconds = (samples: readonly number[] | undefined): number => {
  const known = (samples ?? []).filter((seconds) => Number.isFinite(seconds) && seconds >= 0);
  if (known.length === 0) return DURATION_PRIOR_SECONDS;
  const sorted = [...known].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(ESTIMATE_QUANTILE * sorted.length) - 1)] as number;
};
