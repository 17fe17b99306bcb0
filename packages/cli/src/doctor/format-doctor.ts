import type { CheckResult } from "./check";
import type { DoctorReport } from "./run-doctor";

const MARKS = { pass: "✓", warn: "!", fail: "✗" } as const;
const AREAS = { gitlab: "GitLab", aws: "AWS" } as const;

const formatCheck = (check: CheckResult): string[] => [
  `  ${MARKS[check.status]} ${check.title}: ${check.saw}`,
  ...(check.fix && check.status !== "pass" ? [`      fix: ${check.fix}`] : []),
  ...(check.docs && check.status !== "pass" ? [`      docs: ${check.docs}`] : []),
];

/** The report as people read it: by area, one line per check, the fix under each ✗ and !. */
export const formatDoctorReport = (report: DoctorReport, target: string): string => {
  const lines = [`doctor: stage ${report.stage} (${target})`];
  for (const area of ["aws", "gitlab"] as const) {
    const checks = report.checks.filter((check) => check.area === area);
    if (checks.length === 0) continue;
    lines.push("", AREAS[area], ...checks.flatMap(formatCheck));
  }
  const count = (status: CheckResult["status"]) =>
    report.checks.filter((check) => check.status === status).length;
  lines.push(
    "",
    `${report.checks.length} checks: ${count("pass")} ✓, ${count("warn")} !, ${count("fail")} ✗` +
      (report.ok ? "" : ": fix each ✗, then run doctor again"),
  );
  return lines.join("\n");
};
