import type { GitlabModelJob, GitlabModelRunner, RunnerFacts } from "@ger/core";

export const iso = (date: Date | undefined) => (date ? date.toISOString() : null);

const secondsBetween = (from: Date | undefined, to: Date | undefined) =>
  from && to ? (to.getTime() - from.getTime()) / 1000 : null;

/**
 * A job as GET /projects/:id/jobs/:job_id and the job listings return it. GitLab's duration runs
 * from start to finish (to now while it runs), queued_duration from pending to start; the model
 * does not record when a released job became pending, so that is counted from its creation.
 */
export const jobResource = (
  job: GitlabModelJob,
  runner: GitlabModelRunner | undefined,
  now: Date,
) => ({
  id: job.id,
  status: job.status,
  stage: job.stage ?? "test",
  name: job.name,
  ref: "main",
  tag: false,
  tag_list: job.tagList,
  created_at: iso(job.createdAt),
  started_at: iso(job.startedAt),
  finished_at: iso(job.finishedAt),
  duration: secondsBetween(job.startedAt, job.finishedAt ?? now),
  queued_duration:
    job.status === "created"
      ? null
      : secondsBetween(job.createdAt, job.startedAt ?? job.finishedAt ?? now),
  pipeline: {
    id: job.pipelineId ?? job.id,
    project_id: job.projectId,
    ref: "main",
    status: job.status,
  },
  runner: runner ? { id: runner.id, description: runner.description, is_shared: false } : null,
});

/** A job's project, as GET /runners/:id/jobs shows it beside each job. */
export const projectResource = (projectId: number) => ({
  id: projectId,
  name: `project-${projectId}`,
  name_with_namespace: `double / project-${projectId}`,
  path: `project-${projectId}`,
  path_with_namespace: `double/project-${projectId}`,
});

/** A runner as the runner listings return it; `active` is the deprecated inverse of `paused`. */
export const runnerSummary = ({ runner, status }: RunnerFacts) => ({
  id: runner.id,
  description: runner.description,
  runner_type: runner.runnerType,
  status,
  active: runner.paused !== true,
  paused: runner.paused === true,
});

/** A runner as GET /runners/:id returns it; job_execution_status came with GitLab 17. */
export const runnerDetail = (facts: RunnerFacts, reportsJobExecutionStatus: boolean) => ({
  ...runnerSummary(facts),
  tag_list: facts.runner.tagList,
  run_untagged: facts.runner.runUntagged,
  maximum_timeout: facts.runner.maximumTimeout ?? null,
  access_level: facts.runner.accessLevel,
  contacted_at: iso(facts.contactedAt),
  ...(reportsJobExecutionStatus && { job_execution_status: facts.busy ? "active" : "idle" }),
});
