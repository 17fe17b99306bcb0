import { formatCount, formatDuration, formatUtcClock, formatUtcDay } from "./format";

/** A tick: where it sits on its axis and the lines of its label, top first. */
export interface Tick {
  readonly at: number;
  readonly label: readonly string[];
}

/** An axis from 0 to `max`; "log" spaces log(1 + value), so a long tail of waits leaves room for the short ones. */
export interface Axis {
  readonly kind: "linear" | "log";
  readonly max: number;
  readonly ticks: readonly Tick[];
}

/** Where `value` falls along the axis, 0 to 1. */
export const axisFraction = (axis: Axis, value: number): number =>
  axis.kind === "log" ? Math.log1p(value) / Math.log1p(axis.max) : value / axis.max;

/** A step of 1, 2 or 5 times a power of ten, that cuts `max` into `count` or fewer parts. */
const niceStep = (max: number, count: number, minimum: number): number => {
  const raw = Math.max(max / count, minimum);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((step) => step >= raw);
  return step ?? 10 * power;
};

const decimalsOf = (step: number): number => Math.max(0, -Math.floor(Math.log10(step)));

/** A value axis from 0 to a round number at or above `max`. */
export const valueAxis = (max: number, unit: "count" | "usd" | "share"): Axis => {
  if (unit === "share") {
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((at) => ({ at, label: [`${at * 100}%`] }));
    return { kind: "linear", max: 1, ticks };
  }
  const step = niceStep(max > 0 ? max : 1, 4, unit === "count" ? 1 : 0.0001);
  const top = Math.ceil((max > 0 ? max : 1) / step) * step;
  const ticks: Tick[] = [];
  for (let index = 0; index * step <= top + step / 2; index++) {
    const at = index * step;
    const label =
      unit === "count"
        ? formatCount(at)
        : step >= 1
          ? `$${formatCount(at)}`
          : `$${at.toFixed(decimalsOf(step))}`;
    ticks.push({ at, label: [label] });
  }
  return { kind: "linear", max: top, ticks };
};

const TIME_STEPS_S = [
  10, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 172_800,
  604_800,
];

/**
 * Virtual time since the run's start, labelled with the elapsed time, the UTC clock and, at the first
 * tick and wherever the day changes, the date.
 */
export const timeAxis = (maxS: number, startedAt: Date | undefined, maxTicks: number): Axis => {
  const max = Math.max(maxS, 1);
  const week = 604_800;
  const step =
    TIME_STEPS_S.find((candidate) => max / candidate <= maxTicks) ??
    Math.ceil(max / maxTicks / week) * week;
  const ticks: Tick[] = [];
  let lastDay = "";
  for (let at = 0; at <= max; at += step) {
    const label = [at === 0 ? "0" : `+${formatDuration(at)}`];
    if (startedAt) {
      const instant = new Date(startedAt.getTime() + at * 1000);
      const day = formatUtcDay(instant);
      label.push(formatUtcClock(instant));
      if (day !== lastDay) label.push(day);
      lastDay = day;
    }
    ticks.push({ at, label });
  }
  return { kind: "linear", max, ticks };
};

const WAIT_TICKS_S = [0, 10, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200, 21_600, 86_400];

/** Waits on a log scale: 10 s and 30 s stay apart even when the longest wait is hours. */
export const waitAxis = (maxS: number, plotWidthPx: number): Axis => {
  const max = Math.max(maxS, 60);
  const minGap = 34 / plotWidthPx; // room for a label such as "30m"
  const ticks: Tick[] = [];
  for (const at of WAIT_TICKS_S.filter((candidate) => candidate <= max)) {
    const previous = ticks.at(-1);
    const fraction = Math.log1p(at) / Math.log1p(max);
    if (previous && fraction - Math.log1p(previous.at) / Math.log1p(max) < minGap) continue;
    ticks.push({ at, label: [formatDuration(at)] });
  }
  return { kind: "log", max, ticks };
};
