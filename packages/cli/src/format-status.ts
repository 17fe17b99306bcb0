import type { ControlPlaneStatus } from "@ger/core/types";

/**
 * Control characters (escape sequences among them) and bidirectional overrides, which a job name
 * or any other hook field could carry to rewrite what the operator's terminal shows.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is this pattern's job.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** What came from outside, made safe to print: each such character shown as its \u escape. */
export const printable = (text: string): string =>
  text.replace(UNPRINTABLE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);

const row = (values: readonly string[], widths: readonly number[]) =>
  values
    .map((value, index) => printable(value).padEnd(widths[index] ?? 12))
    .join("  ")
    .trimEnd();

// Our status, not GitLab's: say what it means where it appears.
const NOT_VISIBLE_NOTE =
  "not_visible: GitLab answers 404 for the job (the token cannot see its project, or the job was erased)";

/** The status for a terminal: summary lines, then pools, runners and jobs. */
export const formatStatus = (status: ControlPlaneStatus, source: string): string => {
  const counts = Object.entries(status.jobsByStatus)
    .map(([state, count]) => `${state} ${count}`)
    .join(", ");
  const lines = [
    `Source:   ${source}`,
    `Jobs:     ${status.jobs.length}${counts ? ` (${counts})` : ""}; pending not yet routed ${status.pendingUnresolved}, no pool can run ${status.pendingUnroutable}`,
    ...(status.jobsByStatus.not_visible ? [`          ${NOT_VISIBLE_NOTE}`] : []),
    `Runners:  ${status.runners.length} live, ${status.slotsInUse}/${status.maxInstances} slots in use, ${status.registrations.length} registrations kept for the next jobs`,
    `Projects: ${status.activeProjects.length} active in the last 24 h`,
    "",
    row(
      ["POOL", "PENDING", "CREATING", "BOOTING", "IDLE", "BUSY", "DRAINING", "SLOTS"],
      [24, 8, 8, 8, 6, 6, 8, 8],
    ),
    ...status.pools.map((pool) =>
      row(
        [
          pool.drained ? `${pool.name} (drained)` : pool.name,
          pool.pending,
          pool.creating,
          pool.booting,
          pool.idle,
          pool.busy,
          pool.draining,
          `${pool.slotsInUse}/${pool.maxInstances}`,
        ].map(String),
        [24, 8, 8, 8, 6, 6, 8, 8],
      ),
    ),
  ];
  if (status.runners.length > 0) {
    const widths = [28, 12, 10, 20, 8];
    lines.push("", row(["RUNNER", "POOL", "STATE", "INSTANCE", "GITLAB"], widths));
    for (const runner of status.runners) {
      lines.push(
        row(
          [
            runner.name,
            runner.pool,
            runner.state,
            runner.instanceId ?? "-",
            String(runner.gitlabRunnerId ?? "-"),
          ],
          widths,
        ),
      );
    }
  }
  if (status.jobs.length > 0) {
    const widths = [12, 8, 12, 16, 24];
    lines.push("", row(["JOB", "PROJECT", "STATUS", "NAME", "UPDATED"], widths));
    for (const job of status.jobs) {
      lines.push(
        row(
          [String(job.id), String(job.projectId), job.status, job.name ?? "-", job.updatedAt],
          widths,
        ),
      );
    }
  }
  return lines.join("\n");
};
