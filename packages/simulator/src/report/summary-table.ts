import type { SimulationRun, SimulationSummary } from "../result";
import { formatCount, formatDuration, formatUsd } from "./format";
import { escapeHtml } from "./html";
import { styleOf } from "./palette";

interface Row {
  readonly label: string;
  /** The number compared across policies; undefined where it has no meaning (no jobs). */
  readonly value: (summary: SimulationSummary) => number | undefined;
  readonly format: (value: number) => string;
  /** Which end is better, to mark the best policy; absent where neither is. */
  readonly better?: "lower" | "higher";
  /** A number above zero is a fault to see at once (a leak, a lost job). */
  readonly faultAbove0?: true;
}

const hours = (seconds: number): string => `${(seconds / 3600).toFixed(1)} h`;
const perJob = (calls: number, summary: SimulationSummary): number | undefined =>
  summary.jobs > 0 ? calls / summary.jobs : undefined;

const GROUPS: readonly { readonly title: string; readonly rows: readonly Row[] }[] = [
  {
    title: "Jobs",
    rows: [
      { label: "Jobs", value: (s) => s.jobs, format: formatCount },
      { label: "Completed", value: (s) => s.completed, format: formatCount, better: "higher" },
      {
        label: "Lost (never ran)",
        value: (s) => s.lostJobs,
        format: formatCount,
        better: "lower",
        faultAbove0: true,
      },
      { label: "Wait p50", value: (s) => s.waitP50S, format: formatDuration, better: "lower" },
      { label: "Wait p95", value: (s) => s.waitP95S, format: formatDuration, better: "lower" },
      { label: "Wait max", value: (s) => s.waitMaxS, format: formatDuration, better: "lower" },
      {
        label: "Wait p95, stages after the first",
        value: (s) =>
          s.waitByStage.some((stage) => stage.position > 1) ? s.laterStageWaitP95S : undefined,
        format: formatDuration,
        better: "lower",
      },
    ],
  },
  {
    title: "Capacity",
    rows: [
      { label: "Instance time", value: (s) => s.instanceSeconds, format: hours, better: "lower" },
      {
        label: "vs ideal (one fresh instance per job)",
        value: (s) =>
          s.idealInstanceSeconds > 0 ? s.instanceSeconds / s.idealInstanceSeconds : undefined,
        format: (ratio) => `${ratio.toFixed(2)}×`,
        better: "lower",
      },
      {
        label: "Idle instance time",
        value: (s) => s.idleInstanceSeconds,
        format: hours,
        better: "lower",
      },
      { label: "Launches", value: (s) => s.launches, format: formatCount },
      {
        label: "Max concurrent instances",
        value: (s) => s.maxConcurrentInstances,
        format: formatCount,
      },
    ],
  },
  {
    title: "Cost",
    rows: [
      { label: "EC2", value: (s) => s.ec2CostUsd, format: formatUsd, better: "lower" },
      {
        label: "Control plane",
        value: (s) => s.controlPlaneCostUsd,
        format: formatUsd,
        better: "lower",
      },
      {
        label: "Total",
        value: (s) => s.ec2CostUsd + s.controlPlaneCostUsd,
        format: formatUsd,
        better: "lower",
      },
    ],
  },
  {
    title: "APIs",
    rows: [
      {
        label: "EC2 API calls per job",
        value: (s) => perJob(s.ec2ApiCalls, s),
        format: (calls) => calls.toFixed(1),
        better: "lower",
      },
      {
        label: "GitLab API calls per job",
        value: (s) => perJob(s.gitlabApiCalls, s),
        format: (calls) => calls.toFixed(1),
        better: "lower",
      },
      {
        label: "Throttled calls",
        value: (s) => s.throttledCalls,
        format: formatCount,
        better: "lower",
      },
    ],
  },
  {
    title: "Left behind",
    rows: [
      {
        label: "Leaked instances",
        value: (s) => s.leakedInstances,
        format: formatCount,
        better: "lower",
        faultAbove0: true,
      },
      {
        label: "Leaked runners",
        value: (s) => s.leakedRunners,
        format: formatCount,
        better: "lower",
        faultAbove0: true,
      },
      {
        label: "Leaked tokens / slots",
        value: (s) => s.leakedTokens + s.leakedSlots,
        format: formatCount,
        better: "lower",
        faultAbove0: true,
      },
    ],
  },
  {
    title: "Simulation",
    rows: [{ label: "Wall time", value: (s) => s.wallSeconds, format: (s) => `${s.toFixed(2)} s` }],
  },
];

const cell = (row: Row, value: number | undefined, best: number | undefined): string => {
  if (value === undefined) return `<td class="num">—</td>`;
  const classes = ["num"];
  if (value === best) classes.push("best");
  if (row.faultAbove0 && value > 0) classes.push("fault");
  return `<td class="${classes.join(" ")}">${escapeHtml(row.format(value))}</td>`;
};

/** The best value of a row, when the policies differ on it (a tie marks nothing). */
const bestOf = (row: Row, values: readonly (number | undefined)[]): number | undefined => {
  const known = values.filter((value): value is number => value !== undefined);
  if (!row.better || known.length < 2 || new Set(known).size === 1) return undefined;
  return row.better === "lower" ? Math.min(...known) : Math.max(...known);
};

const groupHeader = (title: string, columns: number): string =>
  `<tr class="group"><th scope="rowgroup" colspan="${columns + 1}">${escapeHtml(title)}</th></tr>`;

const policyHead = (runs: readonly SimulationRun[]): string =>
  runs
    .map((run) => {
      const { color } = styleOf(run.summary);
      return `<th scope="col" class="num"><span class="chip" style="background:${color}"></span>${escapeHtml(run.summary.label)}</th>`;
    })
    .join("");

/** Every figure a person compares, one column per policy; the best of each row in bold. */
export const renderSummaryTable = (runs: readonly SimulationRun[]): string => {
  const body = GROUPS.map((group) => {
    const rows = group.rows.map((row) => {
      const values = runs.map((run) => row.value(run.summary));
      const best = bestOf(row, values);
      const cells = values.map((value) => cell(row, value, best)).join("");
      return `<tr><th scope="row">${escapeHtml(row.label)}</th>${cells}</tr>`;
    });
    return groupHeader(group.title, runs.length) + rows.join("");
  }).join("");
  return (
    `<table class="summary"><thead><tr><th scope="col">Policy</th>${policyHead(runs)}</tr></thead>` +
    `<tbody>${body}</tbody></table>`
  );
};

/** The simulated world's settings (seed, boot times...), one column per policy as they ran. */
export const renderWorldTable = (runs: readonly SimulationRun[]): string => {
  const settings = [...new Set(runs.flatMap((run) => Object.keys(run.summary.world)))];
  const rows = settings.map((setting) => {
    const cells = runs.map((run) => {
      const value = run.summary.world[setting];
      return `<td class="num">${escapeHtml(value === undefined ? "—" : String(value))}</td>`;
    });
    return `<tr><th scope="row">${escapeHtml(setting)}</th>${cells.join("")}</tr>`;
  });
  return (
    `<table class="summary world"><thead><tr><th scope="col">World</th>${policyHead(runs)}</tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>`
  );
};
