import type { MetricPoint } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { scalerWorld } from "../../../test/support/scaler-world";
import {
  METRIC_DEFINITIONS,
  reaperMetrics,
  reconcileMetrics,
  runReaperPass,
  runScalerPass,
  scalerMetrics,
  ThrottleCounter,
  webhookMetrics,
} from "../src/index";

const expectAsDefined = (points: readonly MetricPoint[]) => {
  expect(points.length).toBeGreaterThan(0);
  for (const point of points) {
    expect(
      { name: point.name, dimensions: Object.keys(point.dimensions ?? {}).sort() },
      point.name,
    ).toEqual({
      name: point.name,
      dimensions: [...METRIC_DEFINITIONS[point.name].dimensions].sort(),
    });
  }
};

const event = { jobId: 1, projectId: 2, status: "pending" as const };

describe("metrics are emitted exactly as METRIC_DEFINITIONS declares them", () => {
  it("webhook outcomes", () => {
    expectAsDefined([
      ...webhookMetrics({ kind: "recorded", event }),
      ...webhookMetrics({ kind: "unchanged", event, currentStatus: "running" }),
      ...webhookMetrics({ kind: "ignored", reason: "unknown_status", detail: "x" }),
      ...webhookMetrics({ kind: "unauthorized", reason: "invalid_token" }),
      ...webhookMetrics({ kind: "rejected", reason: "malformed_json", message: "x" }),
    ]);
  });

  it("scaler, reaper and reconciliation reports, with failures and orphans in them", async () => {
    const world = scalerWorld();
    await world.addPendingJob(1, ["linux"]);
    world.compute.failures.push({ kind: "failed", code: "InvalidParameterValue", message: "x" });
    const scaled = await runScalerPass(world.deps);
    const reaped = await runReaperPass(world.reaperDeps);

    expect(scaled.pools[0]?.failures).toEqual(["InvalidParameterValue"]);
    expectAsDefined(scalerMetrics({ ...scaled, notVisible: [2] }));
    expectAsDefined(reaperMetrics({ ...reaped, retired: { finished: 1 }, orphanInstances: 1 }));
    expectAsDefined(
      reconcileMetrics({
        projectsChecked: 1,
        lostJobsRecorded: [3],
        staleJobsClosed: [4],
        jobsNotVisible: [6],
        gitlabPendingJobs: 1,
        disabledHooks: [{ projectId: 5, alertStatus: "disabled" }],
        retriesResumed: [9],
        retriesRefused: 1,
        webhookSuspect: true,
        rateLimited: false,
      }),
    );
  });

  it("jobs GitLab answered 404 for, from the scaler and from reconciliation", async () => {
    const world = scalerWorld();
    await world.addPendingJob(1, ["linux"]);
    const scaled = await runScalerPass(world.deps);
    const reconciled = {
      projectsChecked: 1,
      lostJobsRecorded: [],
      staleJobsClosed: [],
      jobsNotVisible: [7, 8],
      gitlabPendingJobs: 0,
      disabledHooks: [],
      retriesResumed: [],
      retriesRefused: 0,
      webhookSuspect: false,
      rateLimited: false,
    };

    const notVisible = (points: readonly MetricPoint[]) =>
      points.filter((point) => point.name === "JobsNotVisible");

    expect(notVisible(scalerMetrics({ ...scaled, notVisible: [3] }))).toEqual([
      { name: "JobsNotVisible", value: 1 },
    ]);
    expect(notVisible(reconcileMetrics(reconciled))).toEqual([
      { name: "JobsNotVisible", value: 2 },
    ]);
    expect(METRIC_DEFINITIONS.JobsNotVisible).toEqual({
      unit: "Count",
      dimensions: [],
      services: ["scaler", "reaper"],
    });
  });

  it("API throttles, counted per API and reset once taken", () => {
    const counter = new ThrottleCounter();
    counter.note("GitLab");
    counter.note("GitLab");
    counter.note("EC2");

    const points = counter.take();

    expectAsDefined(points);
    expect(points).toEqual([
      { name: "ApiThrottles", value: 2, dimensions: { Api: "GitLab" } },
      { name: "ApiThrottles", value: 1, dimensions: { Api: "EC2" } },
    ]);
    expect(counter.take()).toEqual([]);
  });
});
