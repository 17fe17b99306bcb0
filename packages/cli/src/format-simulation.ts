import type { SimulationSummary } from "@ger/simulator";

type Row = readonly [label: string, value: (summary: SimulationSummary) => string];

const perJob = (summary: SimulationSummary, calls: number) =>
  summary.jobs === 0 ? "0" : (calls / summary.jobs).toFixed(2);

const ROWS: readonly Row[] = [
  ["jobs (completed / lost)", (s) => `${s.jobs} (${s.completed} / ${s.lostJobs})`],
  ["wait p50 / p95 / max (s)", (s) => `${s.waitP50S} / ${s.waitP95S} / ${s.waitMaxS}`],
  [
    "wait p50 / p95 by stage (s)",
    (s) =>
      s.waitByStage.map((stage) => `${stage.position}: ${stage.p50S}/${stage.p95S}`).join(", "),
  ],
  ["later-stage wait p95 (s)", (s) => String(s.laterStageWaitP95S)],
  [
    "instance-seconds (vs ideal)",
    (s) =>
      `${s.instanceSeconds} (${(s.instanceSeconds / Math.max(1, s.idealInstanceSeconds)).toFixed(2)}×)`,
  ],
  ["idle instance-seconds", (s) => String(s.idleInstanceSeconds)],
  ["EC2 cost (USD)", (s) => s.ec2CostUsd.toFixed(2)],
  ["control-plane cost (USD)", (s) => s.controlPlaneCostUsd.toFixed(2)],
  ["launches", (s) => String(s.launches)],
  [
    "EC2 / GitLab calls per job",
    (s) => `${perJob(s, s.ec2ApiCalls)} / ${perJob(s, s.gitlabApiCalls)}`,
  ],
  ["throttled calls", (s) => String(s.throttledCalls)],
  ["max concurrent instances", (s) => String(s.maxConcurrentInstances)],
  [
    "leaked instances / runners / tokens / slots",
    (s) => `${s.leakedInstances} / ${s.leakedRunners} / ${s.leakedTokens} / ${s.leakedSlots}`,
  ],
  ["wall time (s)", (s) => s.wallSeconds.toFixed(1)],
];

/** Rows shown when a run had faults: what struck, and what broke. */
const FAULT_ROWS: readonly Row[] = [
  [
    "faults injected",
    (s) =>
      Object.entries(s.faultsInjected)
        .filter(([, count]) => count > 0)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(", ") || "none",
  ],
  ["invariant violations", (s) => `${s.invariantViolations.length} (wait bound ${s.waitBoundS} s)`],
];

/** Each run's invariant violations, one a line, under the table (the JSON has them all). */
const formatViolations = (summaries: readonly SimulationSummary[]): string[] =>
  summaries.flatMap((summary) =>
    summary.invariantViolations.length === 0
      ? []
      : [
          "",
          `invariant violations (${summary.label}):`,
          ...summary.invariantViolations.map(
            ({ atS, invariant, detail }) =>
              `  ${atS.toFixed(1).padStart(9)} s  ${invariant}  ${detail}`,
          ),
        ],
  );

/** The summaries side by side, one column per policy; then what broke, if anything. */
export const formatComparison = (summaries: readonly SimulationSummary[]): string => {
  const header = ["", ...summaries.map((summary) => summary.label)];
  const faulted = summaries.some((summary) => summary.world.faults !== "none");
  const rows = faulted ? [...ROWS.slice(0, -1), ...FAULT_ROWS, ...ROWS.slice(-1)] : ROWS;
  const lines = [header, ...rows.map(([label, value]) => [label, ...summaries.map(value)])];
  const widths = header.map((_, column) =>
    Math.max(...lines.map((line) => (line[column] ?? "").length)),
  );
  return [
    ...lines.map((line) =>
      line
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    ),
    ...formatViolations(summaries),
  ].join("\n");
};
