const GO_DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * Seconds from a number of seconds or a Go-style duration ("20m", "1h30m", "90s"), the form
 * GitLab's own autoscaler settings use. Undefined when it is neither.
 */
export const parseDurationSeconds = (value: number | string): number | undefined => {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
  const match = GO_DURATION.exec(value.trim());
  if (!match || value.trim() === "") return undefined;
  const [, hours = "0", minutes = "0", seconds = "0"] = match;
  return Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
};
