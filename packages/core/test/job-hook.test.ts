import { describe, expect, it } from "vitest";
import { docsJobHook, jobHook, minimalJobHook } from "../../../test/support/gitlab";
import { JOB_STATUSES, parseJobHook } from "../src/index";

describe("parseJobHook", () => {
  it("maps GitLab's documented Job Hook to a job event", () => {
    const result = parseJobHook(docsJobHook());

    expect(result).toEqual({
      kind: "job",
      event: {
        jobId: 1977,
        projectId: 380,
        status: "created",
        name: "test",
        stage: "test",
        ref: "gitlab-script-trigger",
        pipelineId: 2366,
        projectPath: "gitlab-org/gitlab-test",
        createdAt: "2021-02-23T02:41:37.000Z",
        queuedDurationSeconds: 1095.588715,
        retriesCount: 2,
        runnerId: 380987,
        allowFailure: false,
        failureReason: "unknown_failure",
      },
    });
  });

  it.each(JOB_STATUSES)("accepts status %s", (status) => {
    const result = parseJobHook(jobHook({ build_status: status }));

    expect(result.kind === "job" && result.event.status).toBe(status);
  });

  it("accepts a hook with only the four fields every GitLab version sends", () => {
    const result = parseJobHook(minimalJobHook(42, "pending", 7));

    expect(result).toEqual({ kind: "job", event: { jobId: 42, projectId: 7, status: "pending" } });
  });

  it("accepts null for every optional field", () => {
    const nulls = Object.fromEntries(
      Object.keys(docsJobHook())
        .filter((key) => !["object_kind", "build_id", "build_status", "project_id"].includes(key))
        .map((key) => [key, null]),
    );

    const result = parseJobHook(jobHook(nulls));

    expect(result).toEqual({
      kind: "job",
      event: { jobId: 1977, projectId: 380, status: "created" },
    });
  });

  it("parses GitLab's 'UTC' timestamps when the ISO fields are absent", () => {
    const hook = jobHook({
      build_status: "success",
      build_created_at: "2023-01-10 13:50:02 UTC",
      build_started_at: "2023-01-10 13:50:05 UTC",
      build_finished_at: "2023-01-10 13:51:00 UTC",
      build_created_at_iso: undefined,
      build_started_at_iso: undefined,
      build_finished_at_iso: undefined,
    });

    const result = parseJobHook(hook);

    expect(result.kind === "job" && result.event).toMatchObject({
      createdAt: "2023-01-10T13:50:02.000Z",
      startedAt: "2023-01-10T13:50:05.000Z",
      finishedAt: "2023-01-10T13:51:00.000Z",
    });
  });

  it("keeps ids above 2^31 exact", () => {
    const big = 3_987_654_321;

    const result = parseJobHook(
      jobHook({ build_id: big, project_id: big + 1, pipeline_id: big + 2 }),
    );

    expect(result.kind === "job" && result.event).toMatchObject({
      jobId: big,
      projectId: big + 1,
      pipelineId: big + 2,
    });
  });

  it("treats a retried job as the new job it is", () => {
    const result = parseJobHook(
      jobHook({ build_id: 1978, retries_count: 3, build_status: "pending" }),
    );

    expect(result.kind === "job" && result.event).toMatchObject({ jobId: 1978, retriesCount: 3 });
  });

  it("ignores a status it does not know instead of failing the hook", () => {
    expect(parseJobHook(jobHook({ build_status: "teleporting" }))).toEqual({
      kind: "unknown_status",
      jobId: 1977,
      status: "teleporting",
    });
  });

  it("ignores a hook claiming not_visible: that status is ours, not GitLab's", () => {
    expect(parseJobHook(jobHook({ build_status: "not_visible" }))).toEqual({
      kind: "unknown_status",
      jobId: 1977,
      status: "not_visible",
    });
  });

  it.each([
    ["build_id", { build_id: undefined }],
    ["build_status", { build_status: undefined }],
    ["project_id", { project_id: undefined }],
    ["object_kind", { object_kind: "pipeline" }],
    ["build_id", { build_id: "1977" }],
    ["build_id", { build_id: -1 }],
    ["build_id", { build_id: 2 ** 53 }],
    ["build_created_at", { build_created_at: "yesterday" }],
    ["runner.id", { runner: { id: "x" } }],
  ])("rejects a hook with a bad %s and names the field", (field, overrides) => {
    const result = parseJobHook(jobHook(overrides));

    expect(result.kind).toBe("invalid");
    expect(result.kind === "invalid" && result.issues.join("\n")).toContain(`${field}:`);
  });

  it.each([null, [], "build", 42])("rejects a body that is not an object (%j)", (body) => {
    expect(parseJobHook(body).kind).toBe("invalid");
  });
});
