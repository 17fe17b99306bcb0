import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAutoscalerConfig } from "@ger/core";
import { describe, expect, it } from "vitest";
import {
  burst,
  peakConcurrency,
  SAMPLE_TRACES,
  sparseDay,
  workWeek,
} from "../src/trace/generate-traces";
import { formatTrace, parseTrace } from "../src/trace/parse-trace";
import type { TraceJob } from "../src/trace/trace-job";

const TRACES = fileURLToPath(new URL("../../../test/fixtures/traces/", import.meta.url));
const fixture = (file: string) => readFileSync(`${TRACES}${file}`, "utf8");
const seedOf = (file: string) => SAMPLE_TRACES.find((trace) => trace.file === file)?.seed ?? 0;
const week = workWeek(seedOf("work-week.csv"));
const x86 = (job: TraceJob) => job.tags.includes("amd64");

describe("the trace generators", () => {
  it.each([
    ["workWeek", workWeek],
    ["burst", burst],
    ["sparseDay", sparseDay],
  ])("%s gives the same trace for the same seed, another for another", (_name, generate) => {
    expect(formatTrace(generate(7))).toBe(formatTrace(generate(7)));
    expect(formatTrace(generate(7))).not.toBe(formatTrace(generate(8)));
  });

  it.each(SAMPLE_TRACES)(
    "checked-in $file equals a fresh generation (npx tsx scripts/generate-traces.ts)",
    ({ file, seed, generate }) => {
      expect(fixture(file)).toBe(formatTrace(generate(seed)));
    },
  );

  it.each(SAMPLE_TRACES)("$file reads back as it was generated", ({ file, seed, generate }) => {
    expect(parseTrace(fixture(file))).toEqual(generate(seed));
  });

  it("gives a work week of about 15,000 jobs Monday to Friday, mostly in working hours", () => {
    const hours = week.map((job) => job.createdAt.getUTCHours());
    const days = new Set(week.map((job) => job.createdAt.getUTCDay()));

    expect(week.length).toBeGreaterThan(13_500);
    expect(week.length).toBeLessThan(16_500);
    expect([...days].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(week[0]!.createdAt >= new Date("2099-11-23T00:00:00Z")).toBe(true);
    expect(week.at(-1)!.createdAt < new Date("2099-11-28T00:00:00Z")).toBe(true);
    expect(hours.filter((hour) => hour >= 8 && hour < 18).length / week.length).toBeGreaterThan(
      0.8,
    );
    expect(new Set(week.map((job) => job.projectId)).size).toBe(20);
  });

  it("stages the week's pipelines: 2 to 4 stages from 0, 1 to 6 jobs each, created at once", () => {
    const pipelines = new Map<number, TraceJob[]>();
    for (const job of week)
      pipelines.set(job.pipelineId!, [...(pipelines.get(job.pipelineId!) ?? []), job]);

    expect(pipelines.size).toBeGreaterThan(1000);
    for (const jobs of pipelines.values()) {
      const stages = [...new Set(jobs.map((job) => job.stage!))].sort();
      const widths = stages.map((stage) => jobs.filter((job) => job.stage === stage).length);
      expect(stages).toEqual([0, 1, 2, 3].slice(0, stages.length));
      expect(stages.length).toBeGreaterThanOrEqual(2);
      expect(stages.length).toBeLessThanOrEqual(4);
      expect(Math.min(...widths)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...widths)).toBeLessThanOrEqual(6);
      expect(new Set(jobs.map((job) => job.createdAt.getTime())).size).toBe(1);
      expect(new Set(jobs.map((job) => job.projectId)).size).toBe(1);
    }
  });

  it("tags about 15% of the week's jobs docker;amd64, the rest docker;arm64 or none", () => {
    const share = week.filter(x86).length / week.length;
    const tagLists = new Set(week.map((job) => job.tags.join(";")));

    expect(share).toBeGreaterThan(0.13);
    expect(share).toBeLessThan(0.17);
    expect([...tagLists].sort()).toEqual(["", "docker;amd64", "docker;arm64"]);
  });

  it("gives job durations with a median near 3 minutes, a long tail, none above an hour", () => {
    const durations = week.map((job) => job.durationS).sort((a, b) => a - b);
    const at = (share: number) => durations[Math.floor(durations.length * share)]!;

    // The week's pooled p95 depends on which of the 80 (project, stage) pairs are busy (Zipf):
    // well above the median, not pinned at 15 minutes.
    expect(at(0.5)).toBeGreaterThan(150);
    expect(at(0.5)).toBeLessThan(210);
    expect(at(0.95)).toBeGreaterThan(500);
    expect(at(0.95)).toBeLessThan(1050);
    expect(durations.at(-1)).toBeLessThanOrEqual(3600);
    expect(durations.every((duration) => Number.isInteger(duration) && duration >= 1)).toBe(true);
  });

  it("times a job of one name in one project alike run after run, pairs far apart", () => {
    const pairs = new Map<string, number[]>();
    for (const job of week) {
      const pair = `${job.projectId}/${job.name!.split(" ")[0]}`;
      const durations = pairs.get(pair);
      if (durations) durations.push(job.durationS);
      else pairs.set(pair, [job.durationS]);
    }
    const quantile = (values: readonly number[], share: number) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length * share)]!;
    const medians = [...pairs.values()].map((durations) => quantile(durations, 0.5));
    // Each run's duration over its pair's median: the per-run noise, p95 1.25.
    const relative = [...pairs.values()].flatMap((durations, index) =>
      durations.map((duration) => duration / medians[index]!),
    );

    expect(pairs.size).toBe(80); // 20 projects × build, test, scan, deploy
    for (const durations of pairs.values()) {
      if (durations.length < 5) continue;
      expect(quantile(durations, 0.95) / quantile(durations, 0.5)).toBeLessThanOrEqual(1.6);
      expect(quantile(durations, 0.5) / quantile(durations, 0.05)).toBeLessThanOrEqual(1.6);
    }
    expect(quantile(relative, 0.05)).toBeGreaterThan(0.75);
    expect(quantile(relative, 0.95)).toBeLessThan(1.35);
    // Typical durations, across pairs: log-normal, median 3 minutes, p95 15.
    expect(quantile(medians, 0.5)).toBeGreaterThan(120);
    expect(quantile(medians, 0.5)).toBeLessThan(240);
    expect(quantile(medians, 0.95)).toBeGreaterThan(600);
    expect(quantile(medians, 0.95)).toBeLessThan(1350);
    expect(Math.max(...medians) / Math.min(...medians)).toBeGreaterThan(20);
  });

  it("numbers jobs and pipelines in creation order, each once", () => {
    for (const jobs of [week, sparseDay(1), burst(1)]) {
      const ids = jobs.map((job) => job.jobId);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
    }
    const firstJobOfPipeline = new Map<number, number>();
    for (const job of week)
      if (!firstJobOfPipeline.has(job.pipelineId!))
        firstJobOfPipeline.set(job.pipelineId!, job.jobId);
    const pipelineIds = [...firstJobOfPipeline.keys()];
    expect(pipelineIds).toEqual([...pipelineIds].sort((a, b) => a - b));
  });

  it("gives a burst of 1,000 untagged jobs without pipelines within one minute", () => {
    const jobs = burst(seedOf("burst.csv"));
    const times = jobs.map((job) => job.createdAt.getTime());

    expect(jobs).toHaveLength(1000);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(Date.parse("2099-11-24T10:00:00Z"));
    expect(Math.max(...times)).toBeLessThan(Date.parse("2099-11-24T10:01:00Z"));
    expect(jobs.every((job) => job.tags.length === 0 && job.pipelineId === undefined)).toBe(true);
  });

  it("gives a sparse Sunday of a few pipelines, some tens of jobs", () => {
    const jobs = sparseDay(seedOf("sparse-day.csv"));

    expect(jobs.length).toBeGreaterThan(30);
    expect(jobs.length).toBeLessThan(100);
    expect(new Set(jobs.map((job) => job.pipelineId)).size).toBe(6);
    expect(jobs.every((job) => job.createdAt.toISOString().startsWith("2099-11-22T"))).toBe(true);
  });
});

describe("peakConcurrency", () => {
  const job = (jobId: number, stage: number, atS: number, durationS: number): TraceJob => ({
    jobId,
    projectId: 1,
    createdAt: new Date(Date.UTC(2099, 10, 23, 9, 0, atS)),
    durationS,
    tags: [],
    pipelineId: 1,
    stage,
  });

  it("runs a later stage only once the earlier one is done", () => {
    // Stage 0: two jobs of 60 s and 10 s; stage 1 starts at 60 s, so never beside stage 0.
    expect(
      peakConcurrency([job(1, 0, 0, 60), job(2, 0, 0, 10), job(3, 1, 0, 30), job(4, 1, 0, 30)]),
    ).toBe(2);
  });

  it("counts a job ending as its successor starts once", () => {
    expect(peakConcurrency([job(1, 0, 0, 60), { ...job(2, 0, 60, 60), pipelineId: 2 }])).toBe(1);
  });
});

describe("the sample configs", () => {
  const config = (file: string) => parseAutoscalerConfig(JSON.parse(fixture(file)));

  it("week.config.json holds the week's peak with about 25% headroom, per pool and in all", () => {
    const pools = config("week.config.json").pools;
    const peaks = {
      "linux-x86": peakConcurrency(week, x86),
      "linux-arm": peakConcurrency(week, (job) => !x86(job)),
    };

    for (const pool of pools) {
      const peak = peaks[pool.name as keyof typeof peaks];
      expect(pool.max_instances).toBeGreaterThanOrEqual(Math.ceil(peak * 1.2));
      expect(pool.max_instances).toBeLessThanOrEqual(Math.ceil(peak * 1.3));
    }
    expect(config("week.config.json").max_instances).toBe(
      pools.reduce((sum, pool) => sum + pool.max_instances, 0),
    );
  });

  it("burst.config.json is one untagged pool of 1,200", () => {
    const burstConfig = config("burst.config.json");

    expect(burstConfig.max_instances).toBe(1200);
    expect(burstConfig.pools).toEqual([
      expect.objectContaining({ run_untagged: true, tags: [], max_instances: 1200, idle_count: 0 }),
    ]);
  });
});
