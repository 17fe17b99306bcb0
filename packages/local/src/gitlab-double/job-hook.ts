import type { DoubleJob, DoubleRunner } from "./model";

/** GitLab's "2023-01-10 13:50:02 UTC" format, which the plain timestamp fields use. */
const gitlabUtc = (date: Date | undefined) =>
  date ? `${date.toISOString().slice(0, 19).replace("T", " ")} UTC` : null;
const iso = (date: Date | undefined) => (date ? date.toISOString() : null);

/** A Job Hook payload shaped like lib/gitlab/data_builder/build.rb's (see shared/fixtures). */
export const jobHookPayload = (job: DoubleJob, runner: DoubleRunner | undefined) => {
  const duration =
    job.startedAt && job.finishedAt
      ? (job.finishedAt.getTime() - job.startedAt.getTime()) / 1000
      : null;
  const queued = ((job.startedAt ?? new Date()).getTime() - job.createdAt.getTime()) / 1000;
  return {
    object_kind: "build",
    ref: job.ref,
    tag: false,
    before_sha: "0000000000000000000000000000000000000000",
    sha: "2293ada6b400935a1378653304eaf6221e0fdb8f",
    retries_count: 0,
    build_id: job.id,
    build_name: job.name,
    build_stage: job.stage,
    build_status: job.status,
    build_created_at: gitlabUtc(job.createdAt),
    build_started_at: gitlabUtc(job.startedAt),
    build_finished_at: gitlabUtc(job.finishedAt),
    build_created_at_iso: iso(job.createdAt),
    build_started_at_iso: iso(job.startedAt),
    build_finished_at_iso: iso(job.finishedAt),
    build_duration: duration,
    build_queued_duration: job.status === "pending" || job.status === "created" ? null : queued,
    build_allow_failure: false,
    build_failure_reason: job.status === "failed" ? "script_failure" : "unknown_failure",
    pipeline_id: job.pipelineId,
    runner: runner
      ? {
          id: runner.id,
          description: runner.description,
          runner_type: runner.runnerType,
          active: true,
          is_shared: runner.runnerType === "instance_type",
          tags: runner.tags,
        }
      : null,
    project_id: job.projectId,
    project_name: `double/project-${job.projectId}`,
    user: { id: 1, name: "Double", username: "double", email: "double@example.com" },
    commit: {
      id: job.pipelineId,
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
  };
};

/** The job as GET /projects/:id/jobs/:job_id returns it. */
export const jobResource = (job: DoubleJob, runner: DoubleRunner | undefined) => ({
  id: job.id,
  status: job.status,
  stage: job.stage,
  name: job.name,
  ref: job.ref,
  tag: false,
  tag_list: job.tags,
  created_at: iso(job.createdAt),
  started_at: iso(job.startedAt),
  finished_at: iso(job.finishedAt),
  pipeline: { id: job.pipelineId, project_id: job.projectId, ref: job.ref, status: job.status },
  runner: runner ? { id: runner.id, description: runner.description, is_shared: false } : null,
});
