/** Nearest-rank percentile of ascending values; 0 of none. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0
    ? 0
    : (sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number);

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
