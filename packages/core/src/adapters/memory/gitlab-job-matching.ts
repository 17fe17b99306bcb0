import type { GitlabModelJob, GitlabModelRunner } from "./gitlab-model-records";

/**
 * Whether GitLab hands a job to a runner: the runner's scope must include the job's project (an
 * instance runner any project, a group runner its group's projects, a project runner its own),
 * and (run_untagged or the job has tags) and the job's tags ⊆ the runner's. Written apart from
 * pools/routing on purpose: that predicts GitLab, this plays it, so tests can catch a wrong guess.
 */
export const runnerMayTake = (
  runner: GitlabModelRunner,
  job: GitlabModelJob,
  groupOf: (projectId: number) => number | undefined,
): boolean => {
  const inScope =
    runner.runnerType === "instance_type" ||
    (runner.runnerType === "project_type" && runner.projectId === job.projectId) ||
    (runner.runnerType === "group_type" &&
      runner.groupId !== undefined &&
      groupOf(job.projectId) === runner.groupId);
  return (
    inScope &&
    (runner.runUntagged || job.tagList.length > 0) &&
    job.tagList.every((tag) => runner.tagList.includes(tag))
  );
};
