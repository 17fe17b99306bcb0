import type { GitlabModelJob } from "@ger/core";
import { describe, expect, it } from "vitest";
import { lookaheadFlipped } from "../src/lookahead-variant";
import { runSimulation } from "../src/simulate";
import { waitsByStage } from "../src/stage-waits";
import type { TraceJob } from "../src/trace/trace-job";
import { simConfig, simPool } from "./support/sim-config";

const traceJob = (jobId: number, pipelineId?: number, stage?: number): TraceJob => ({
  jobId,
  projectId: 7,
  createdAt: new Date("2099-11-24T10:00:00Z"),
  durationS: 60,
  tags: [],
  ...(pipelineId !== undefined && { pipelineId, stage }),
});

const modelJob = (id: number, pipelineId?: number, stage?: number): GitlabModelJob => ({
  id,
  projectId: 7,
  status: "success",
  tagList: [],
  ...(pipelineId !== undefined && { pipelineId, stage: `stage-${stage}` }),
});

describe("waitsByStage", () => {
  it("numbers a pipeline's stages by position, whatever numbers the trace gave them", () => {
    const trace = [traceJob(1, 1, 0), traceJob(2, 1, 2), traceJob(3, 1, 5), traceJob(4, 2, 3)];
    const { byStage, laterStageP95S } = waitsByStage(
      [
        [modelJob(1, 1, 0), 30],
        [modelJob(2, 1, 2), 4],
        [modelJob(3, 1, 5), 6],
        // Pipeline 2 has one stage, numbered 3: its first.
        [modelJob(4, 2, 3), 40],
      ],
      trace,
    );

    expect(byStage).toEqual([
      { position: 1, jobs: 2, p50S: 30, p95S: 40 },
      { position: 2, jobs: 1, p50S: 4, p95S: 4 },
      { position: 3, jobs: 1, p50S: 6, p95S: 6 },
    ]);
    expect(laterStageP95S).toBe(6);
  });

  it("counts a job outside any pipeline, or unknown to the model, at the first stage", () => {
    const { byStage, laterStageP95S } = waitsByStage(
      [
        [modelJob(1), 12],
        [undefined, 20],
      ],
      [traceJob(1)],
    );

    expect(byStage).toEqual([{ position: 1, jobs: 2, p50S: 12, p95S: 20 }]);
    expect(laterStageP95S).toBe(0);
  });

  it("counts a retry (a new job id, the same pipeline and stage) at its original's stage", () => {
    const { byStage } = waitsByStage(
      [
        [modelJob(1, 9, 0), 10],
        [modelJob(2, 9, 1), 3],
        [modelJob(77, 9, 1), 31],
      ],
      [traceJob(1, 9, 0), traceJob(2, 9, 1)],
    );

    expect(byStage[1]).toEqual({ position: 2, jobs: 2, p50S: 3, p95S: 31 });
  });
});

describe("lookaheadFlipped", () => {
  const config = (enabled: boolean) =>
    simConfig([
      simPool({ name: "a", lookahead: { enabled } }),
      simPool({ name: "b", lookahead: { enabled: false, lead_time: 40 } }),
    ]);

  it("turns it on for every pool where none has it, keeping the other settings", () => {
    const flipped = lookaheadFlipped(config(false));

    expect(flipped.label).toBe("default-lookahead-on");
    expect(flipped.config.pools.map((pool) => pool.lookahead)).toEqual([
      { enabled: true, lead_time: 75, max_runners: 20 },
      { enabled: true, lead_time: 40, max_runners: 20 },
    ]);
  });

  it("turns it off for every pool where any has it (the default)", () => {
    const flipped = lookaheadFlipped(simConfig([simPool({ name: "a" }), simPool({ name: "b" })]));

    expect(flipped.label).toBe("default-lookahead-off");
    expect(flipped.config.pools.map((pool) => pool.lookahead.enabled)).toEqual([false, false]);
    expect(lookaheadFlipped(config(true)).label).toBe("default-lookahead-off");
  });
});

describe("a simulated run's waits by stage", () => {
  /** Five runs, 20 minutes apart, of one project's pipeline: a 2-minute build, then a 1-minute test. */
  const pipelines: TraceJob[] = Array.from({ length: 5 }, (_, run) =>
    [
      { stage: 0, name: "build", durationS: 120 },
      { stage: 1, name: "test", durationS: 60 },
    ].map((job, index) => ({
      jobId: run * 2 + index + 1,
      projectId: 7,
      createdAt: new Date(Date.UTC(2099, 10, 24, 10, run * 20)),
      tags: [],
      pipelineId: run + 1,
      ...job,
    })),
  ).flat();
  const simulate = (enabled: boolean) =>
    runSimulation({
      trace: pipelines,
      config: simConfig([simPool({ idle_time: "5m", lookahead: { enabled, lead_time: 45 } })]),
      world: { bootMedianS: 30, bootP95S: 30, hookDelayMinS: 1, hookDelayMaxS: 1 },
    });

  it("waits a boot at every stage without lookahead", async () => {
    const { summary } = await simulate(false);

    expect(summary.waitByStage.map((stage) => stage.jobs)).toEqual([5, 5]);
    // Hook, scaler, boot, first poll: about 32 s, at the test stage as at the build.
    expect(summary.waitByStage[1]?.p50S).toBeGreaterThan(25);
    expect(summary.laterStageWaitP95S).toBeGreaterThan(25);
  });

  it("has the test stage's runner up when the build ends, once the build's duration is known", async () => {
    const off = (await simulate(false)).summary;
    const on = (await simulate(true)).summary;

    // The first run knows no durations (the prior is 5 minutes): its test waits a boot; the
    // four after it start within a runner's poll.
    expect(on.waitByStage[1]?.p50S).toBeLessThan(5);
    expect(on.waitByStage[0]?.p50S).toBeLessThanOrEqual(off.waitByStage[0]?.p50S ?? 0);
    expect(on).toMatchObject({ completed: 10, lostJobs: 0, leakedInstances: 0 });
    expect(on.instanceSeconds).toBeLessThan(off.instanceSeconds * 1.3);
  });
});
