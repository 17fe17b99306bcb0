import type { ControlPlaneStatus } from "@ger/core/types";

const column = (values: readonly string[], width: number) =>
  values.map((value) => value.padEnd(width)).join("  ");

/** The status for a terminal: a summary line, then one line per job. */
export const formatStatus = (status: ControlPlaneStatus, source: string): string => {
  const counts = Object.entries(status.jobsByStatus)
    .map(([state, count]) => `${state} ${count}`)
    .join(", ");
  const lines = [
    `Source:   ${source}`,
    `Jobs:     ${status.jobs.length}${counts ? ` (${counts})` : ""}`,
    `Projects: ${status.activeProjects.length} active in the last 24 h${
      status.activeProjects.length > 0
        ? `: ${status.activeProjects.map((p) => p.id).join(", ")}`
        : ""
    }`,
  ];
  if (status.jobs.length > 0) {
    lines.push("", column(["JOB", "PROJECT", "STATUS", "NAME", "UPDATED"], 12));
    for (const job of status.jobs) {
      lines.push(
        column(
          [String(job.id), String(job.projectId), job.status, job.name ?? "-", job.updatedAt],
          12,
        ),
      );
    }
  }
  return lines.join("\n");
};
