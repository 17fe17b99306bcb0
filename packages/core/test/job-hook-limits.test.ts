import { describe, expect, it } from "vitest";
import { jobHook } from "../../../test/support/gitlab";
import { parseJobHook } from "../src/index";
import { MAX_JOB_HOOK_DURATION_SECONDS, MAX_JOB_HOOK_TEXT_LENGTH } from "../src/jobs/job-hook";

/** A Job Hook body as GitLab's bytes would parse, with any number written as raw JSON. */
const parsed = (overrides: Record<string, unknown>, raw: Record<string, string> = {}) => {
  let text = JSON.stringify(jobHook(overrides));
  for (const [field, number] of Object.entries(raw)) {
    text = text.replace(/}$/, `,"${field}":${number}}`);
  }
  return parseJobHook(JSON.parse(text));
};

// Found by the webhook fuzz test: each of these passed the schema, then failed DynamoDB's write
// with a 500, which GitLab retries and counts against the hook.
describe("parseJobHook keeps to what DynamoDB can store", () => {
  it.each([
    ["a duration beyond 2^53 s", { build_duration: 1e20 }, {}, "build_duration"],
    [
      "a duration that parses to Infinity",
      {},
      { build_queued_duration: "1e400" },
      "build_queued_duration",
    ],
    [
      "a duration over ten years",
      { build_duration: MAX_JOB_HOOK_DURATION_SECONDS + 1 },
      {},
      "build_duration",
    ],
    ["retries beyond 2^53", { retries_count: 2 ** 60 }, {}, "retries_count"],
    [
      "a build name over the cap",
      { build_name: "x".repeat(MAX_JOB_HOOK_TEXT_LENGTH + 1) },
      {},
      "build_name",
    ],
    ["a ref of 300 kB", { ref: "r".repeat(300_000) }, {}, "ref"],
    [
      "a project path over the cap",
      { project: { path_with_namespace: "p".repeat(MAX_JOB_HOOK_TEXT_LENGTH + 1) } },
      {},
      "project.path_with_namespace",
    ],
  ])("refuses %s, naming the field", (_, overrides, raw, field) => {
    const result = parsed(overrides, raw);

    expect(result).toEqual({
      kind: "invalid",
      issues: [expect.stringMatching(new RegExp(`^${field.replaceAll(".", "\\.")}: `))],
    });
  });

  it("accepts texts of exactly the cap", () => {
    const longest = "€".repeat(MAX_JOB_HOOK_TEXT_LENGTH);

    const result = parsed({ build_name: longest, ref: longest });

    expect(result).toMatchObject({ kind: "job", event: { name: longest, ref: longest } });
  });

  it("rounds durations to the microsecond, so a denormal one stores as 0", () => {
    const result = parsed({ build_queued_duration: 1095.588715 }, { build_duration: "5e-324" });

    expect(result).toMatchObject({
      kind: "job",
      event: { queuedDurationSeconds: 1095.588715, durationSeconds: 0 },
    });
  });
});
