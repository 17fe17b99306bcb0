import { Writable } from "node:stream";
import type { GitlabModelJob } from "@ger/core";
import { type GitlabDouble, startGitlabDouble } from "@ger/local";
import { parseTrace } from "@ger/simulator";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { manualClock } from "../../../test/support/clock";
import { type ImportTraceOptions, runImportTrace } from "../src/commands/import-trace";
import { UsageError } from "../src/table-target";

const PROJECT = 7;
const clock = manualClock(new Date("2099-11-23T09:00:00Z"));
let double: GitlabDouble;
/** Stage name → its jobs, per pipeline, as GitLab made them. */
const pipelines = new Map<number, Map<string, GitlabModelJob[]>>();

/** Plays GitLab and a runner: stage after stage, every job starts, then they finish in turn. */
const playPipeline = (
  runnerId: number,
  pipelineId: number,
  stages: readonly (readonly [stage: string, width: number, tags?: string[]])[],
) => {
  const created = stages.map(([stage, width, tags = []], index) =>
    Array.from({ length: width }, (_, slot) =>
      double.model.enqueue({
        projectId: PROJECT,
        pipelineId,
        stage,
        name: `${stage} ${slot + 1}/${width}`,
        tags,
        pending: index === 0,
      }),
    ),
  );
  pipelines.set(pipelineId, new Map(stages.map(([stage], index) => [stage, created[index]!])));
  for (const [index, jobs] of created.entries()) {
    if (index > 0) for (const job of jobs) double.model.release(job.id);
    clock.advance(2);
    const started = jobs.map(() => double.model.requestJob(runnerId)!);
    for (const job of started) {
      clock.advance(1.3);
      double.model.finishJob(job.id, "success");
    }
  }
};

const JOBS_ROUTE = "GET ^\\/api\\/v4\\/projects\\/(\\d+)\\/jobs$";
const jobListings = () => double.apiCalls.get(JOBS_ROUTE) ?? 0;

class Sink extends Writable {
  text = "";
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

/** A clock for the rate budget that moves only when it waits. */
const virtualTime = () => {
  let now = 0;
  return {
    now: () => now,
    wait: async (ms: number) => {
      now += ms;
    },
  };
};

const importTrace = async (options: ImportTraceOptions) => {
  const out = new Sink();
  const stderr = new Sink();
  const time = virtualTime();
  await runImportTrace({ project: String(PROJECT), ...options }, out, { stderr, ...time });
  return { trace: out.text, jobs: parseTrace(out.text), summary: stderr.text };
};

beforeAll(async () => {
  double = await startGitlabDouble({ clock });
  const runner = double.model.createRunner({
    runnerType: "project_type",
    projectId: PROJECT,
    description: "history-runner",
    tagList: ["docker", "amd64"],
    runUntagged: true,
    accessLevel: "not_protected",
  });
  // Stage names out of alphabetical order: their place must come from when they ran.
  playPipeline(runner.id, 501, [
    ["build", 40, ["docker", "amd64"]],
    ["test", 80],
    ["deploy", 30],
  ]);
  const neverRan = double.model.enqueue({ projectId: PROJECT, pipelineId: 501, stage: "deploy" });
  double.model.finishJob(neverRan.id, "canceled");
  clock.set(new Date("2099-11-24T09:00:00Z"));
  playPipeline(runner.id, 502, [
    ["lint", 50],
    ["build", 60],
  ]);
  // Neither a job of another project nor one still running is history.
  double.model.enqueue({ projectId: 99 });
  double.model.enqueue({ projectId: PROJECT, pipelineId: 503, stage: "build" });
  double.model.requestJob(runner.id);
});
afterAll(() => double.stop());

describe("import-trace against the GitLab double", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    double.apiCalls.clear();
  });

  const useGitlab = (token = double.adminToken) => {
    vi.stubEnv("GITLAB_URL", double.url);
    vi.stubEnv("GITLAB_TOKEN", token);
  };

  it("writes every finished job that ran, with its pipeline, stage position and name, page by page", async () => {
    useGitlab();

    const { trace, jobs, summary } = await importTrace({});

    expect(trace.split("\n")[0]).toBe(
      "job_id,project_id,created_at,duration_s,tags,pipeline_id,stage,name",
    );
    expect(jobs).toHaveLength(260);
    expect(jobListings()).toBe(3); // 261 finished jobs, 100 a page
    for (const [pipelineId, stages] of pipelines)
      for (const [position, modelJobs] of [...stages.values()].entries())
        for (const modelJob of modelJobs) {
          const finished = double.model.jobs.get(modelJob.id)!;
          const ranS = (finished.finishedAt!.getTime() - finished.startedAt!.getTime()) / 1000;
          expect(jobs.find((job) => job.jobId === modelJob.id)).toEqual({
            jobId: modelJob.id,
            projectId: PROJECT,
            createdAt: modelJob.createdAt,
            durationS: Math.round(ranS),
            tags: modelJob.tagList,
            pipelineId,
            stage: position,
            name: modelJob.name,
          });
        }
    expect(summary).toBe(
      "import-trace: 260 jobs of 2 pipelines from project 7; 1 that never ran left out\n",
    );
  });

  it("takes only jobs created from --since, and stops paging once the listing is older", async () => {
    useGitlab();

    const { jobs } = await importTrace({ since: "2099-11-24" });

    expect(new Set(jobs.map((job) => job.pipelineId))).toEqual(new Set([502]));
    expect(jobs).toHaveLength(110);
    expect(jobListings()).toBe(2); // page 2 reaches into the day before: page 3 is not read
  });

  it("takes only jobs created before --until", async () => {
    useGitlab();

    const { jobs } = await importTrace({ since: "2099-11-23T00:00:00Z", until: "2099-11-24" });

    expect(new Set(jobs.map((job) => job.pipelineId))).toEqual(new Set([501]));
    expect(jobs).toHaveLength(150);
  });

  it("spends at most 300 requests a minute, evenly spaced, on its own clock", async () => {
    useGitlab();
    const time = virtualTime();
    const requestedAt: number[] = [];
    const fetchFromGitlab = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      requestedAt.push(time.now());
      return fetchFromGitlab(input, init);
    });

    await runImportTrace({ project: String(PROJECT) }, new Sink(), { stderr: new Sink(), ...time });

    expect(requestedAt).toEqual([0, 200, 400]);
    expect(jobListings()).toBe(requestedAt.length);
  });

  it("says what a 401 means", async () => {
    useGitlab("glpat-revoked");

    await expect(importTrace({})).rejects.toThrow(
      "GitLab refused GITLAB_TOKEN (401 Unauthorized): is it valid and unexpired?",
    );
  });

  it.each([
    [{ project: undefined }, "import-trace needs --project ID, the project's numeric id"],
    [
      { project: "group/app" },
      "import-trace needs --project ID, the project's numeric id, got 'group/app'",
    ],
    [{ project: "0" }, "import-trace needs --project ID, the project's numeric id, got '0'"],
    [
      { since: "last week" },
      "--since must be a date (2099-11-23, from midnight UTC) or an ISO 8601 time with a time zone, got 'last week'",
    ],
    [
      { until: "2099-11-24T10:00" },
      "--until must be a date (2099-11-23, from midnight UTC) or an ISO 8601 time with a time zone, got '2099-11-24T10:00'",
    ],
    [{ since: "2099-11-24", until: "2099-11-24" }, "--since must be before --until"],
  ])("refuses %j: %s", async (options, message) => {
    useGitlab();

    const run = runImportTrace({ project: "7", ...options }, new Sink(), { stderr: new Sink() });

    await expect(run).rejects.toStrictEqual(new UsageError(message));
  });

  it("refuses to run without GITLAB_URL or GITLAB_TOKEN", async () => {
    vi.stubEnv("GITLAB_URL", double.url);
    vi.stubEnv("GITLAB_TOKEN", "");

    await expect(importTrace({})).rejects.toStrictEqual(
      new UsageError("import-trace reads GitLab at GITLAB_URL with GITLAB_TOKEN: set both"),
    );
  });
});
