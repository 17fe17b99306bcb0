/** How the report spells numbers, durations and instants: fixed, so the page reads the same in every locale. */

const groupThousands = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

export const formatCount = (value: number): string => groupThousands(String(Math.round(value)));

/** Dollars: cents from $1 up, four decimals below (a control plane's cost is a fraction of a cent per job). */
export const formatUsd = (value: number): string => {
  if (value === 0) return "$0";
  if (Math.abs(value) < 1) return `$${value.toFixed(4)}`;
  const [whole = "0", cents = "00"] = value.toFixed(2).split(".");
  return `$${groupThousands(whole)}.${cents}`;
};

const UNITS = [
  { label: "d", seconds: 86_400 },
  { label: "h", seconds: 3_600 },
  { label: "m", seconds: 60 },
  { label: "s", seconds: 1 },
] as const;

/** "45s", "12m 30s", "3h", "2d 4h": the two largest units, the second left out when zero. */
export const formatDuration = (seconds: number): string => {
  if (seconds < 10 && !Number.isInteger(seconds)) return `${seconds.toFixed(1)}s`;
  const whole = Math.round(seconds);
  const major = UNITS.findIndex((unit) => whole >= unit.seconds);
  const majorUnit = UNITS[major];
  if (!majorUnit) return "0s";
  const majorCount = Math.floor(whole / majorUnit.seconds);
  const minorUnit = UNITS[major + 1];
  const minorCount = minorUnit
    ? Math.floor((whole - majorCount * majorUnit.seconds) / minorUnit.seconds)
    : 0;
  const majorPart = `${majorCount}${majorUnit.label}`;
  return minorUnit && minorCount > 0 ? `${majorPart} ${minorCount}${minorUnit.label}` : majorPart;
};

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const twoDigits = (value: number): string => String(value).padStart(2, "0");

/** "09:30" in UTC: the report names one zone, whatever the reader's machine uses. */
export const formatUtcClock = (instant: Date): string =>
  `${twoDigits(instant.getUTCHours())}:${twoDigits(instant.getUTCMinutes())}`;

/** "Fri 27 Nov" in UTC. */
export const formatUtcDay = (instant: Date): string =>
  `${WEEKDAYS[instant.getUTCDay()]} ${instant.getUTCDate()} ${MONTHS[instant.getUTCMonth()]}`;

/** "Fri 27 Nov 2026, 09:30 UTC". */
export const formatUtcInstant = (instant: Date): string =>
  `${formatUtcDay(instant)} ${instant.getUTCFullYear()}, ${formatUtcClock(instant)} UTC`;
