import type { GitlabModel, GitlabModelJob } from "@ger/core";
import type { VirtualTime } from "./virtual-time";
import type { WorldCompute } from "./world-compute";
import type { WorldInstance } from "./world-instance";

export interface RunnerProcessOptions {
  readonly token: string;
  /** How long it waits for a job (run-single's --wait-timeout); measured from each job's end. */
  readonly waitTimeoutS: number;
  /** Jobs it runs before it exits (run-single's --max-builds). */
  readonly maxJobs: number;
  readonly checkIntervalS: number;
  /** After it exits: what the instance does next (ours power off). */
  readonly onExit: () => void;
}

export interface RunnerWorld {
  readonly time: VirtualTime;
  readonly model: GitlabModel;
  readonly compute: WorldCompute;
  /** Each job a runner takes, when it takes it. */
  readonly onJobStarted?: (job: GitlabModelJob, instance: WorldInstance) => void;
}

/**
 * gitlab-runner on an instance: polls POST /jobs/request every check_interval (GitLab hands it the
 * oldest pending job it may take), runs the job for its duration, reports it, and exits after
 * `maxJobs` jobs or `waitTimeoutS` without one. A deleted runner's requests are refused (403), as
 * are a stopped instance's: it keeps no job and sends no report.
 */
export const startRunnerProcess = (
  world: RunnerWorld,
  instance: WorldInstance,
  options: RunnerProcessOptions,
): void => {
  const { time, model, compute } = world;
  const runnerId = model.runnerByToken(options.token)?.id;
  let deadlineMs = time.nowMillis + options.waitTimeoutS * 1000;
  let stopped = false;
  let current: GitlabModelJob | undefined;
  instance.onStop = () => {
    stopped = true;
    // The job dies with its instance; GitLab marks it failed when the runner stops reporting.
    if (current && model.jobs.get(current.id)?.status === "running")
      model.finishJob(current.id, "failed");
  };
  const exit = () => {
    if (!stopped) options.onExit();
  };
  const poll = () => {
    if (stopped) return;
    const job = runnerId === undefined ? undefined : takeJob(model, runnerId);
    if (job) return run(job);
    if (time.nowMillis + options.checkIntervalS * 1000 > deadlineMs)
      return time.at(deadlineMs, exit);
    time.after(options.checkIntervalS * 1000, poll);
  };
  const run = (job: GitlabModelJob) => {
    current = job;
    instance.runningJobId = job.id;
    compute.setPhase(instance, "busy");
    world.onJobStarted?.(job, instance);
    const startedMs = time.nowMillis;
    time.after((job.durationSeconds ?? 0) * 1000, () => {
      if (stopped) return;
      current = undefined;
      instance.runningJobId = undefined;
      instance.busyMs += time.nowMillis - startedMs;
      instance.jobsRun += 1;
      if (model.jobs.get(job.id)?.status === "running") model.finishJob(job.id, "success");
      compute.setPhase(instance, "idle");
      if (instance.jobsRun >= options.maxJobs) return exit();
      deadlineMs = time.nowMillis + options.waitTimeoutS * 1000;
      time.after(options.checkIntervalS * 1000, poll);
    });
  };
  compute.setPhase(instance, "idle");
  poll();
};

/** A deleted runner is refused (403): no job. */
const takeJob = (model: GitlabModel, runnerId: number): GitlabModelJob | undefined => {
  try {
    return model.requestJob(runnerId);
  } catch {
    return undefined;
  }
};
