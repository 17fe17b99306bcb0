import type { Sample, SimulationRun } from "../result";
import { timeAxis, valueAxis, waitAxis } from "./axis";
import { downsample } from "./downsample";
import { escapeHtml } from "./html";
import { renderLegend } from "./legend";
import { JOB_COLORS, STATE_COLORS, styleOf } from "./palette";
import { type ChartSpec, type Point, plotWidthOf, renderChart, type Series } from "./svg-chart";

/** Drawn points per chart, over all its series: a week at 10-s samples stays a light page. */
const POINTS_PER_CHART = 1_500;
/** Room per x tick label, so labels never run into each other. */
const PX_PER_TIME_TICK = 84;

/** What the charts of one page share, so that side-by-side charts compare at a glance. */
export interface ChartFrame {
  readonly width: number;
  readonly height: number;
  readonly durationS: number;
  readonly startedAt: Date | undefined;
}

const plotWidth = (frame: ChartFrame): number => plotWidthOf(frame.width);

const figure = (caption: string, legend: string, chart: ChartSpec): string =>
  `<figure class="chart"><figcaption>${escapeHtml(caption)}</figcaption>${legend}${renderChart(chart)}</figure>`;

const timeTip = (frame: ChartFrame) => ({
  x: "elapsed" as const,
  ...(frame.startedAt ? { startMs: frame.startedAt.getTime() } : {}),
});

const samplePoints = (
  samples: readonly Sample[],
  value: (sample: Sample) => number,
): readonly Point[] => samples.map((sample) => [sample.atS, value(sample)]);

const STATES = ["busy", "idle", "booting", "stopping"] as const;
const instancesOf = (sample: Sample): number =>
  STATES.reduce((sum, state) => sum + sample[state], 0);

/** The peak of a run's samples (a fold: a month of samples is too many arguments for Math.max). */
const peakOf = (run: SimulationRun, value: (sample: Sample) => number): number =>
  run.samples.reduce((peak, sample) => Math.max(peak, value(sample)), 0);

export const maxPending = (run: SimulationRun): number =>
  peakOf(run, (sample) => sample.pendingJobs);

export const maxInstances = (run: SimulationRun): number => peakOf(run, instancesOf);

/**
 * Jobs waiting for a runner in one run; `yMax` shared by the runs beside it. (Running jobs are the
 * busy instances of the chart below.)
 */
export const pendingFigure = (run: SimulationRun, frame: ChartFrame, yMax: number): string => {
  const samples = downsample(run.samples, POINTS_PER_CHART, (sample) => sample.pendingJobs);
  const series: Series[] = [
    {
      name: "pending jobs",
      color: JOB_COLORS.pending,
      points: samplePoints(samples, (sample) => sample.pendingJobs),
    },
  ];
  return countFigure(
    `Pending jobs: ${run.summary.label}`,
    `Pending jobs over time, ${run.summary.label}`,
    series,
    frame,
    yMax,
  );
};

/** Instances by state of one run, stacked; `yMax` shared by the runs beside it. */
export const instancesFigure = (run: SimulationRun, frame: ChartFrame, yMax: number): string => {
  const samples = downsample(run.samples, POINTS_PER_CHART / STATES.length, instancesOf);
  const series: Series[] = STATES.map((state) => ({
    name: state,
    color: STATE_COLORS[state],
    points: samplePoints(samples, (sample) => sample[state]),
  }));
  return countFigure(
    `Instances: ${run.summary.label}`,
    `Instances by state over time, ${run.summary.label}`,
    series,
    frame,
    yMax,
  );
};

/** Counts over time, stacked, with a legend of areas: the pending-jobs and instances charts. */
const countFigure = (
  title: string,
  label: string,
  series: Series[],
  frame: ChartFrame,
  yMax: number,
): string =>
  figure(title, renderLegend(series, "area"), {
    label,
    ...overTime(frame, yMax, "count"),
    kind: "stacked",
    series,
  });

/** What every chart over the run's time shares: size, axes, tooltip, the empty case. */
const overTime = (frame: ChartFrame, yMax: number, unit: "count" | "usd") => ({
  width: frame.width,
  height: frame.height,
  x: timeAxis(frame.durationS, frame.startedAt, plotWidth(frame) / PX_PER_TIME_TICK),
  y: valueAxis(yMax, unit),
  tip: { ...timeTip(frame), y: unit },
  empty: "no samples",
});

const totalCost = (sample: Sample): number => sample.ec2CostUsd + sample.controlPlaneCostUsd;

/** Money spent so far, EC2 and control plane together, one line per policy. */
export const costFigure = (runs: readonly SimulationRun[], frame: ChartFrame): string => {
  const series: Series[] = runs.map((run) => ({
    name: run.summary.label,
    ...styleOf(run.summary),
    points: samplePoints(
      downsample(run.samples, POINTS_PER_CHART / runs.length, totalCost),
      totalCost,
    ),
  }));
  const most = Math.max(0, ...series.flatMap((line) => line.points.map(([, y]) => y)));
  return figure("Cost so far (EC2 + control plane)", renderLegend(series, "line"), {
    label: "Cumulative cost over time per policy",
    ...overTime(frame, most, "usd"),
    kind: "lines",
    series,
  });
};

/** The share of started jobs that waited at most x: a staircase from (0, 0), one step per distinct wait. */
const waitSteps = (waits: readonly number[], max: number): readonly Point[] => {
  const steps: Point[] = [];
  waits.forEach((wait, rank) => {
    if (waits[rank + 1] !== wait) steps.push([wait, (rank + 1) / waits.length]);
  });
  if (steps.length === 0) return [];
  return [[0, 0], ...downsample(steps, max - 1, ([, share]) => share)];
};

/** How long jobs waited to start, one distribution per policy. */
export const waitFigure = (runs: readonly SimulationRun[], frame: ChartFrame): string => {
  const series: Series[] = runs.map((run) => ({
    name: run.summary.label,
    ...styleOf(run.summary),
    points: waitSteps(run.waits, POINTS_PER_CHART / runs.length),
  }));
  const longest = Math.max(0, ...runs.map((run) => run.waits.at(-1) ?? 0));
  return figure(
    "Share of started jobs that waited at most… (log scale)",
    renderLegend(series, "line"),
    {
      label: "Cumulative distribution of wait times per policy",
      width: frame.width,
      height: frame.height,
      x: waitAxis(longest, plotWidth(frame)),
      y: valueAxis(1, "share"),
      kind: "steps",
      series,
      guides: [
        { at: 0.5, label: "p50" },
        { at: 0.95, label: "p95" },
      ],
      tip: { x: "wait", y: "share" },
      empty: "no job started",
    },
  );
};
