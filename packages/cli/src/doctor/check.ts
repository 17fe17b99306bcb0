/** ✓, ! or ✗: it fits; it works with a caveat, or could not be checked; it will not work. */
export type CheckStatus = "pass" | "warn" | "fail";

/** One line of `doctor`'s report: what it looked at, what it saw, and what to do about it. */
export interface CheckResult {
  readonly area: "gitlab" | "aws";
  /** Stable, for scripts reading --json: `gitlab.token`, `aws.fleet.linux-x86`, ... */
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly saw: string;
  /** The exact change (a command, a setting) that makes a ✗ or ! go away. */
  readonly fix?: string;
  readonly docs?: string;
}

type Verdict = Omit<CheckResult, "area" | "id" | "title" | "status">;

/** Builds the results of one area, so each check says only its id, title and verdict. */
export const checksOf = (area: CheckResult["area"]) => ({
  pass: (id: string, title: string, saw: string): CheckResult => ({
    area,
    id,
    title,
    status: "pass",
    saw,
  }),
  warn: (id: string, title: string, verdict: Verdict): CheckResult => ({
    area,
    id,
    title,
    status: "warn",
    ...verdict,
  }),
  fail: (id: string, title: string, verdict: Verdict): CheckResult => ({
    area,
    id,
    title,
    status: "fail",
    ...verdict,
  }),
});

/** An error's AWS or HTTP code and message, as a check reports it. */
export const describeError = (error: unknown): string => {
  const { name, message } = error as { name?: string; message?: string };
  return name && name !== "Error" ? `${name}: ${message ?? ""}` : (message ?? String(error));
};
