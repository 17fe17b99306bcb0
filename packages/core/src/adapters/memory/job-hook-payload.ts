import type { GitlabModelJob, GitlabModelRunner } from "./gitlab-model-records";

const iso = (date: Date | undefined) => (date ? date.toISOString() : null);

/** GitLab's "2023-01-10 13:50:02 UTC" format, which the plain timestamp fields use. */
const gitlabUtc = (date: Date | undefined) =>
  date ? `${date.toISOString().slice(0, 19).replace("T", " ")} UTC` : null;
const seconds = (from: Date | undefined, to: Date | undefined) =>
  from && to ? (to.getTime() - from.getTime()) / 1000 : null;

/**
 * A Job Hook sent at `now`, shaped like data_builder/build.rb's (see test/fixtures/gitlab): what the
 * HTTP double sends and the simulator delivers to the webhook.
 */
export const jobHookPayload = (
  job: GitlabModelJob,
  runner: GitlabModelRunner | undefined,
  now: Date,
) => ({
  object_kind: "build",
  ref: "main",
  tag: false,
  before_sha: "0000000000000000000000000000000000000000",
  sha: "2293ada6b400935a1378653304eaf6221e0fdb8f",
  retries_count: job.retriesCount ?? 0,
  build_id: job.id,
  build_name: job.name,
  build_stage: job.stage ?? "test",
  build_status: job.status,
  build_created_at: gitlabUtc(job.createdAt),
  build_started_at: gitlabUtc(job.startedAt),
  build_finished_at: gitlabUtc(job.finishedAt),
  build_created_at_iso: iso(job.createdAt),
  build_started_at_iso: iso(job.startedAt),
  build_finished_at_iso: iso(job.finishedAt),
  build_duration: seconds(job.startedAt, job.finishedAt),
  build_queued_duration:
    job.status === "pending" || job.status === "created"
      ? null
      : seconds(job.queuedAt ?? job.createdAt, job.startedAt ?? now),
  build_allow_failure: false,
  build_failure_reason: job.status === "failed" ? "script_failure" : "unknown_failure",
  pipeline_id: job.pipelineId ?? job.id,
  runner: runner
    ? {
        id: runner.id,
        description: runner.description,
        runner_type: runner.runnerType,
        active: true,
        is_shared: runner.runnerType === "instance_type",
        tags: runner.tagList,
      }
    : null,
  project_id: job.projectId,
  project_name: `double/project-${job.projectId}`,
  user: { id: 1, name: "Double", username: "double", email: "double@example.com" },
  commit: {
    id: job.id,
    name: null,
    sha: "2293ada6b400935a1378653304eaf6221e0fdb8f",
    status: job.status,
  },
  repository: { name: `project-${job.projectId}`, url: "", description: "", homepage: "" },
  project: {
    id: job.projectId,
    name: `project-${job.projectId}`,
    path_with_namespace: `double/project-${job.projectId}`,
    default_branch: "main",
  },
  environment: null,
});
