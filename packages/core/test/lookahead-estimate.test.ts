import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import {
  DURATION_PRIOR_SECONDS,
  durationKeyOf,
  durationKeysFor,
  estimateDurationSeconds,
  estimateFutureJobs,
  launchAtOf,
  pipelineHaltOf,
} from "../src/index";
import type { JobRecord, JobStatus, PipelineHalt } from "../src/types";

const NOW = SUNDAY_MORNING.getTime();
const at = (secondsFromNow: number) => new Date(NOW + secondsFromNow * 1000).toISOString();

/** A job of pipeline 7 of project 3, created ten minutes ago unless told otherwise. */
const job = (
  jobId: number,
  stage: string,
  status: JobStatus,
  extra: Partial<JobRecord> = {},
): JobRecord => ({
  jobId,
  projectId: 3,
  pipelineId: 7,
  status,
  stage,
  name: `${stage}-job`,
  createdAt: at(-600),
  statusRank: 0,
  updatedAt: at(-600),
  expiresAt: 0,
  ...extra,
});

const estimate = (
  jobs: readonly JobRecord[],
  durations: ReadonlyMap<string, readonly number[]> = new Map(),
  halts: readonly PipelineHalt[] = [],
) => estimateFutureJobs({ jobs, halts, durations, now: SUNDAY_MORNING });

const history = (name: string, samples: number[]) =>
  new Map([[durationKeyOf({ projectId: 3, name }), samples]]);

describe("estimateDurationSeconds", () => {
  it("takes the prior for a job no run has finished under", () => {
    expect(estimateDurationSeconds(undefined)).toBe(DURATION_PRIOR_SECONDS);
    expect(estimateDurationSeconds([])).toBe(DURATION_PRIOR_SECONDS);
  });

  it("takes the lower quartile of the recent runs", () => {
    expect(estimateDurationSeconds([100, 400, 200, 300])).toBe(100);
    expect(estimateDurationSeconds([120, 100, 110, 130, 140, 150, 160, 170])).toBe(110);
  });

  it("shares one history between the parallel jobs of a stage", () => {
    expect(durationKeyOf({ projectId: 3, name: "test 1/3" })).toBe(
      durationKeyOf({ projectId: 3, name: "test 3/3" }),
    );
    expect(durationKeyOf({ projectId: 3, name: "test" })).not.toBe(
      durationKeyOf({ projectId: 4, name: "test" }),
    );
  });
});

describe("estimateFutureJobs", () => {
  it("expects a later stage when the running stage's last job ends, by the prior before any history", () => {
    const future = estimate([
      job(1, "build", "running", { startedAt: at(-60) }),
      job(2, "build", "running", { startedAt: at(-30) }),
      job(3, "test", "created"),
    ]);

    expect(future.map((entry) => entry.job.jobId)).toEqual([3]);
    expect(future[0]?.pendingAt).toBe(NOW + (DURATION_PRIOR_SECONDS - 30) * 1000);
  });

  it("learns from history, and chains the stages after it", () => {
    const durations = new Map([...history("build-job", [100]), ...history("test-job", [200])]);
    const future = estimate(
      [
        job(1, "build", "running", { startedAt: at(-40) }),
        job(2, "test", "created"),
        job(3, "deploy", "created"),
      ],
      durations,
    );

    expect(future.map((entry) => [entry.job.jobId, (entry.pendingAt - NOW) / 1000])).toEqual([
      [2, 60],
      [3, 260],
    ]);
  });

  it("counts a pending job of the earlier stage from now", () => {
    const future = estimate(
      [job(1, "build", "pending"), job(2, "test", "created")],
      history("build-job", [90]),
    );

    expect((future[0]!.pendingAt - NOW) / 1000).toBe(90);
  });

  it("expects a job past its estimate to end any moment, and gives up on one far past it", () => {
    const late = estimate(
      [job(1, "build", "running", { startedAt: at(-150) }), job(2, "test", "created")],
      history("build-job", [100]),
    );
    const lost = estimate(
      [job(1, "build", "running", { startedAt: at(-261) }), job(2, "test", "created")],
      history("build-job", [100]),
    );

    expect(late[0]?.pendingAt).toBe(NOW);
    expect(lost).toEqual([]);
  });

  it("leaves a pipeline whose earliest unfinished stage has not started alone", () => {
    // The first stage about to be pending, or the earlier stages over and this one next.
    expect(estimate([job(1, "build", "created"), job(2, "test", "created")])).toEqual([]);
  });

  it("times nothing behind a manual job that blocks or a delayed one", () => {
    const running = job(1, "build", "running", { startedAt: at(-10) });

    expect(
      estimate([
        running,
        job(2, "gate", "manual", { allowFailure: false }),
        job(3, "go", "created"),
      ]),
    ).toEqual([]);
    expect(estimate([running, job(2, "gate", "scheduled"), job(3, "go", "created")])).toEqual([]);
    // A manual job that may fail (GitLab's default) holds nothing up.
    expect(
      estimate([
        running,
        job(2, "gate", "manual", { allowFailure: true }),
        job(3, "go", "created"),
      ]).map((entry) => entry.job.jobId),
    ).toEqual([3]);
  });

  it("orders stages by their first job id, not by the order the hooks came in", () => {
    const future = estimate(
      [
        job(9, "deploy", "created"),
        job(5, "test", "created"),
        job(1, "build", "running", { startedAt: at(0) }),
      ],
      new Map([...history("build-job", [100]), ...history("test-job", [50])]),
    );

    expect(future.map((entry) => [entry.job.jobId, (entry.pendingAt - NOW) / 1000])).toEqual([
      [5, 100],
      [9, 150],
    ]);
  });

  it("leaves no future demand for a canceled pipeline or one a job failed in", () => {
    const jobs = [
      job(1, "build", "running", { startedAt: at(-10) }),
      job(3, "test", "created"),
      job(4, "deploy", "created"),
    ];
    const canceled = pipelineHaltOf(
      { jobId: 2, projectId: 3, pipelineId: 7, status: "canceled", stage: "build" },
      SUNDAY_MORNING,
    );
    const failed = pipelineHaltOf(
      { jobId: 2, projectId: 3, pipelineId: 7, status: "failed", stage: "build", name: "lint" },
      SUNDAY_MORNING,
    );
    const allowed = pipelineHaltOf(
      { jobId: 2, projectId: 3, pipelineId: 7, status: "failed", allowFailure: true },
      SUNDAY_MORNING,
    );

    expect(estimate(jobs, new Map(), [canceled!])).toEqual([]);
    expect(estimate(jobs, new Map(), [failed!])).toEqual([]);
    expect(allowed).toBeUndefined();
    // GitLab retried the failed job: a new job of its name in its stage, and the pipeline goes on.
    const retry = job(8, "build", "pending", { name: "lint" });
    expect(estimate([...jobs, retry], new Map(), [failed!]).map((e) => e.job.jobId)).toEqual([
      3, 4,
    ]);
  });

  it("asks for the durations of the pipelines with later stages only", () => {
    const keys = durationKeysFor([
      job(1, "build", "running", { startedAt: at(0) }),
      job(2, "test", "created"),
      job(3, "build", "pending", { pipelineId: 8, name: "alone" }),
    ]);

    expect(keys).toEqual([
      { projectId: 3, name: "build-job" },
      { projectId: 3, name: "test-job" },
    ]);
  });
});

const STATUSES: JobStatus[] = [
  "created",
  "pending",
  "running",
  "preparing",
  "waiting_for_resource",
  "manual",
  "scheduled",
];

/** Random pipelines: any statuses, starts and creations, around NOW. */
const pipelinesArb = fc
  .array(
    fc.record({
      pipelineId: fc.integer({ min: 1, max: 4 }),
      stage: fc.constantFrom("build", "test", "scan", "deploy"),
      status: fc.constantFrom(...STATUSES),
      createdAgo: fc.integer({ min: -60, max: 7200 }),
      startedAgo: fc.integer({ min: -60, max: 7200 }),
      name: fc.constantFrom("a", "b 1/2", "b 2/2", "c"),
      allowFailure: fc.option(fc.boolean(), { nil: undefined }),
    }),
    { maxLength: 25 },
  )
  .map((drawn) =>
    drawn.map((entry, index) =>
      job(index + 1, entry.stage, entry.status, {
        pipelineId: entry.pipelineId,
        name: entry.name,
        createdAt: at(-entry.createdAgo),
        ...(entry.allowFailure !== undefined && { allowFailure: entry.allowFailure }),
        ...(entry.status === "running" && { startedAt: at(-entry.startedAgo) }),
      }),
    ),
  );
const durationsArb = fc
  .array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.array(fc.nat(4000), { maxLength: 10 })))
  .map(
    (entries) =>
      new Map(entries.map(([name, samples]) => [durationKeyOf({ projectId: 3, name }), samples])),
  );

describe("estimateFutureJobs, for any pipelines", () => {
  it("never schedules a launch before the pipeline was created, whatever the lead time", () => {
    fc.assert(
      fc.property(
        pipelinesArb,
        durationsArb,
        fc.integer({ min: 1, max: 1800 }),
        (jobs, durations, lead) => {
          for (const future of estimate(jobs, durations)) {
            const created = Math.min(
              ...jobs
                .filter((other) => other.pipelineId === future.job.pipelineId)
                .map((other) => Date.parse(other.createdAt as string)),
            );
            expect(future.pipelineCreatedAt).toBe(created);
            expect(future.pendingAt).toBeGreaterThanOrEqual(created);
            expect(launchAtOf(future, lead)).toBeGreaterThanOrEqual(created);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("only ever expects created jobs, each once, never in the pipeline's earliest unfinished stage", () => {
    fc.assert(
      fc.property(pipelinesArb, durationsArb, (jobs, durations) => {
        const future = estimate(jobs, durations);
        const ids = future.map((entry) => entry.job.jobId);
        expect(new Set(ids).size).toBe(ids.length);
        for (const { job: expected } of future) {
          expect(expected.status).toBe("created");
          const firstIdOfPipeline = Math.min(
            ...jobs.filter((other) => other.pipelineId === expected.pipelineId).map((o) => o.jobId),
          );
          const firstStage = jobs.find((other) => other.jobId === firstIdOfPipeline)?.stage;
          expect(expected.stage).not.toBe(firstStage);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("leaves no future demand in a halted pipeline that was not retried", () => {
    fc.assert(
      fc.property(
        pipelinesArb,
        durationsArb,
        fc.integer({ min: 1, max: 4 }),
        (jobs, durations, pipelineId) => {
          const halt: PipelineHalt = {
            pipelineId,
            projectId: 3,
            jobId: 1000,
            name: "z",
            stage: "build",
            haltedAt: at(0),
          };
          const future = estimate(jobs, durations, [halt]);
          expect(future.filter((entry) => entry.job.pipelineId === pipelineId)).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
