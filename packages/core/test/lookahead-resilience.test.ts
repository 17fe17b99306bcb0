import type { FutureJob, WebhookRequest } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { manualClock, SUNDAY_MORNING } from "../../../test/support/clock";
import { configInput } from "../../../test/support/config";
import { gitlabHeaders, jobHook, TEST_TOKEN } from "../../../test/support/gitlab";
import { scalerWorld } from "../../../test/support/scaler-world";
import {
  dueForPool,
  InMemoryDemandStore,
  InMemoryJobDurations,
  parseAutoscalerConfig,
  receiveJobWebhook,
  runScalerPass,
  StaticWebhookCredentials,
} from "../src/index";
import { recordFieldsFor } from "../src/jobs/job-record";

const t0 = SUNDAY_MORNING.getTime();

describe("dueForPool", () => {
  const pool = parseAutoscalerConfig({
    ...configInput(),
    pools: [{ ...configInput().pools[0]!, idle_time: "5m", lookahead: { lead_time: "75s" } }],
  }).pools[0]!;
  /** Expected pending 10 minutes after t0: launched from 8 min 45 s. */
  const future = {
    job: { jobId: 1, projectId: 5, status: "created", updatedAt: new Date(t0).toISOString() },
    pendingAt: t0 + 600_000,
    pipelineCreatedAt: t0,
  } as FutureJob;
  const at = (seconds: number) => new Date(t0 + seconds * 1000);

  it("is due from its launch instant for one idle_time, the life of the runner started then", () => {
    expect(dueForPool(future, pool, at(524))).toBe(false);
    expect(dueForPool(future, pool, at(525))).toBe(true);
    expect(dueForPool(future, pool, at(525 + 299))).toBe(true);
    // The estimate was wrong: no second runner after the first gave up waiting.
    expect(dueForPool(future, pool, at(525 + 300))).toBe(false);
    expect(dueForPool(future, pool, at(3600))).toBe(false);
  });

  it("is never due for a pool that does not look ahead", () => {
    const off = { ...pool, lookahead: { ...pool.lookahead, enabled: false } };
    expect(dueForPool(future, off, at(600))).toBe(false);
  });
});

describe("a scaler pass whose lookahead reads fail", () => {
  it("still launches for the pending jobs, and says why it looked no further", async () => {
    const world = scalerWorld();
    await world.addPendingJob(21, ["linux"]);
    await world.demand.annotateJob(21, { tags: ["linux"], groupIds: [42] });
    const demand = Object.create(world.deps.demand, {
      listPipelineDemand: {
        value: async () => {
          throw new Error("ProvisionedThroughputExceededException");
        },
      },
    });

    const report = await runScalerPass({ ...world.deps, demand });

    expect(report.lookaheadError).toBe("Error: ProvisionedThroughputExceededException");
    expect(report.pools.reduce((sum, pool) => sum + pool.launched, 0)).toBe(1);
  });
});

describe("a job the index lists under two statuses for a moment", () => {
  it("is pending demand, not a future job as well: one runner, not two", async () => {
    const world = scalerWorld();
    await world.addPendingJob(21, ["linux"]);
    await world.demand.annotateJob(21, { tags: ["linux"], groupIds: [42] });
    const now = world.clock.now();
    const inPipeline = (jobId: number, stage: string, status: "running" | "created") => ({
      ...recordFieldsFor(
        {
          jobId,
          projectId: 5,
          status,
          pipelineId: 9,
          stage,
          name: `job-${jobId}`,
          createdAt: new Date(now.getTime() - 600_000).toISOString(),
          ...(status === "running" && {
            startedAt: new Date(now.getTime() - 300_000).toISOString(),
          }),
        },
        now,
      ),
      tags: ["linux"],
      groupIds: [42],
    });
    // The build started 5 minutes ago (the prior's length): job 21, just pending, is still
    // listed created, and due.
    const demand = Object.create(world.deps.demand, {
      listPipelineDemand: {
        value: async () => ({
          jobs: [inPipeline(20, "build", "running"), inPipeline(21, "test", "created")],
          halts: [],
        }),
      },
    });

    const report = await runScalerPass({ ...world.deps, demand });

    expect(report.pools.reduce((sum, pool) => sum + pool.launched, 0)).toBe(1);
    expect(report.pools.reduce((sum, pool) => sum + pool.future, 0)).toBe(0);
  });
});

describe("the webhook, when a lookahead write fails", () => {
  it("records the job all the same, answers recorded and names the failed write", async () => {
    const clock = manualClock(SUNDAY_MORNING);
    const demand = new InMemoryDemandStore();
    const durations = Object.create(new InMemoryJobDurations(), {
      recordDuration: {
        value: async () => {
          throw new Error("throttled");
        },
      },
    });
    const request: WebhookRequest = {
      headers: gitlabHeaders(),
      body: JSON.stringify(
        jobHook({ build_status: "success", build_duration: 61, build_name: "unit" }),
      ),
    };

    const outcome = await receiveJobWebhook(request, {
      demand,
      durations,
      credentials: new StaticWebhookCredentials({ token: TEST_TOKEN }),
      clock,
    });

    expect(outcome).toMatchObject({
      kind: "recorded",
      lookaheadFailures: ["duration: Error: throttled"],
    });
    expect((await demand.listJobs(clock.now()))[0]).toMatchObject({ status: "success" });
  });
});
