import { describe, expect, it } from "vitest";
import { perKind } from "../src/faults/fault-spec";
import { escapeHtml } from "../src/report/html";
import { renderHtmlReport } from "../src/report/html-report";
import type { PolicyName, Sample, SimulationRun, SimulationSummary } from "../src/result";

const summary = (
  policy: PolicyName,
  overrides: Partial<SimulationSummary> = {},
): SimulationSummary => ({
  policy,
  label: policy,
  jobs: 4,
  completed: 4,
  lostJobs: 0,
  waitP50S: 5,
  waitP95S: 90,
  waitMaxS: 90,
  waitByStage: [
    { position: 1, jobs: 2, p50S: 5, p95S: 30 },
    { position: 2, jobs: 2, p50S: 5, p95S: 90 },
  ],
  laterStageWaitP95S: 90,
  instanceSeconds: 5_400,
  idleInstanceSeconds: 1_800,
  idealInstanceSeconds: 3_600,
  ec2CostUsd: 0.125,
  controlPlaneCostUsd: 0.0021,
  launches: 4,
  ec2ApiCalls: 10,
  gitlabApiCalls: 18,
  gitlabApiCallsByPurpose: { lifecycle: 12, tags: 2, reconcile: 4, watchdog: 0, other: 0 },
  gitlabRunnersCreated: 4,
  gitlabRunnersDeleted: 4,
  maxLiveRegistrations: 3,
  tokenResets: 0,
  retainedRegistrations: 0,
  ssmCalls: 32,
  starvedByScopeLimit: 0,
  throttledCalls: 0,
  maxConcurrentInstances: 3,
  leakedInstances: 0,
  leakedRunners: 0,
  leakedTokens: 0,
  leakedSlots: 0,
  faultsInjected: perKind(() => 0),
  invariantViolations: [],
  waitBoundS: 141,
  world: {
    seed: 7,
    bootMedianS: 60,
    bootMeanS: 75,
    bootP95S: 120,
    checkIntervalS: 60,
    powerOffS: 20,
  },
  wallSeconds: 0.42,
  ...overrides,
});

/** Ten minutes at one-minute samples: two jobs wait, instances boot, work, idle and stop. */
const SAMPLES: Sample[] = [
  [0, 2, 0, 2, 0, 0, 0],
  [1, 2, 0, 2, 0, 0, 0],
  [2, 0, 2, 0, 0, 2, 0],
  [3, 1, 2, 1, 0, 2, 0],
  [4, 0, 3, 0, 0, 3, 0],
  [5, 0, 3, 0, 0, 3, 0],
  [6, 0, 1, 0, 2, 1, 0],
  [7, 0, 1, 0, 1, 1, 1],
  [8, 0, 0, 0, 1, 0, 1],
  [9, 0, 0, 0, 0, 0, 1],
].map(
  ([
    minute = 0,
    pendingJobs = 0,
    runningJobs = 0,
    booting = 0,
    idle = 0,
    busy = 0,
    stopping = 0,
  ]) => ({
    atS: minute * 60,
    pendingJobs,
    runningJobs,
    booting,
    idle,
    busy,
    stopping,
    ec2CostUsd: minute * 0.0125,
    controlPlaneCostUsd: minute * 0.0002,
  }),
);

const run = (policy: PolicyName, overrides: Partial<SimulationSummary> = {}): SimulationRun => ({
  summary: summary(policy, overrides),
  startedAt: "2026-11-27T09:30:00.000Z",
  samples: SAMPLES,
  sampleEveryS: 60,
  waits: [0, 5, 30, 90],
});

/** Days of 10-s samples: a slow wave of load, a burst of pending jobs every 97 samples. */
const tenSecondSamples = (days: number): Sample[] =>
  Array.from({ length: days * 8_640 }, (_, index): Sample => {
    const load = Math.round(20 + 20 * Math.sin(index / 500));
    return {
      atS: index * 10,
      pendingJobs: index % 97 === 0 ? 9 : 0,
      runningJobs: load,
      booting: index % 13 === 0 ? 2 : 0,
      idle: load % 5,
      busy: load,
      stopping: index % 17 === 0 ? 1 : 0,
      ec2CostUsd: index * 0.001,
      controlPlaneCostUsd: index * 0.00001,
    };
  });

const longRun = (policy: PolicyName, samples: Sample[]): SimulationRun => ({
  ...run(policy),
  samples,
  sampleEveryS: 10,
});

const comparison = [
  run("default"),
  run("per-job", { waitP95S: 150, leakedInstances: 2, ec2CostUsd: 0.09 }),
  run("idle-pool", { waitP95S: 12, idleInstanceSeconds: 7_200 }),
];

const render = (runs: readonly SimulationRun[], title = "Simulation", trace = "week.jsonl") =>
  renderHtmlReport({ title, trace, runs });

const charts = (html: string): string[] => html.match(/<svg class="plot"[\s\S]*?<\/svg>/g) ?? [];
const paths = (chart: string): string[] =>
  [...chart.matchAll(/<path [^>]*\bd="([^"]+)"/g)].map((match) => match[1] ?? "");
/** The vertices of a path's outline: each command letter starts one. */
const vertices = (d: string): number => d.match(/[MLHV]/g)?.length ?? 0;
const yTicks = (chart: string): string[] =>
  [...chart.matchAll(/text-anchor="end">([^<]+)<\/text>/g)].map((match) => match[1] ?? "");
/** What the chart hands its tooltip: the points it drew, per series. */
const tipOf = (chart: string): { series: { name: string; points: [number, number][] }[] } =>
  JSON.parse(
    (chart.match(/data-tip="([^"]*)"/)?.[1] ?? "").replace(/&#(\d+);/g, (_, code) =>
      String.fromCharCode(Number(code)),
    ),
  );
const row = (html: string, label: string): string[] => {
  const match = html.match(new RegExp(`<tr><th scope="row">${label}</th>(.*?)</tr>`));
  return [...(match?.[1] ?? "").matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((cell) => cell[1] ?? "");
};

describe("the HTML report", () => {
  it("draws pending jobs, instances, cost and waits for one run, each with a path of points", () => {
    const drawn = charts(render([run("default")]));

    expect(drawn).toHaveLength(4);
    for (const chart of drawn) {
      expect(paths(chart).length).toBeGreaterThan(0);
      expect(Math.max(...paths(chart).map(vertices))).toBeGreaterThanOrEqual(5);
    }
  });

  it("sets three policies side by side: their own pending and instance charts, shared cost and waits", () => {
    const html = render(comparison);
    const drawn = charts(html);

    expect(drawn).toHaveLength(3 * 2 + 2);
    for (const chart of drawn) expect(paths(chart).length).toBeGreaterThan(0);
    for (const policy of ["default", "per-job", "idle-pool"]) {
      expect(html).toContain(`Pending jobs: ${policy}`);
      expect(html).toContain(`Instances: ${policy}`);
    }
    // One line per policy on the shared charts, and the states stacked in each instance chart.
    expect(paths(drawn[6] ?? "")).toHaveLength(3);
    expect(paths(drawn[7] ?? "")).toHaveLength(3);
    expect(paths(drawn[3] ?? "")).toHaveLength(4);
  });

  it("gives one y scale to the charts set side by side, so that they compare at a glance", () => {
    const busier = { ...run("per-job"), samples: SAMPLES.map((s) => ({ ...s, busy: 4 * s.busy })) };
    const drawn = charts(render([run("default"), busier]));

    expect(yTicks(drawn[2] ?? "")).toEqual(["0", "5", "10", "15"]);
    expect(yTicks(drawn[3] ?? "")).toEqual(yTicks(drawn[2] ?? ""));
  });

  it("labels time since the start and the UTC clock and date from startedAt", () => {
    const html = render([run("default")]);

    expect(html).toContain("Fri 27 Nov 2026, 09:30 UTC");
    expect(html).toContain(">+4m</tspan>");
    expect(html).toContain(">09:34</tspan>");
    expect(html).toContain(">Fri 27 Nov</tspan>");
  });

  it("tabulates every compared figure, one cell per policy", () => {
    const html = render(comparison);

    expect(row(html, "Jobs")).toEqual(["4", "4", "4"]);
    expect(row(html, "Lost \\(never ran\\)")).toEqual(["0", "0", "0"]);
    expect(row(html, "Wait p50")).toEqual(["5s", "5s", "5s"]);
    expect(row(html, "Wait p95")).toEqual(["1m 30s", "2m 30s", "12s"]);
    expect(row(html, "Wait max")).toEqual(["1m 30s", "1m 30s", "1m 30s"]);
    expect(row(html, "Instance time")).toEqual(["1.5 h", "1.5 h", "1.5 h"]);
    expect(row(html, "vs ideal \\(one fresh instance per job\\)")).toEqual([
      "1.50×",
      "1.50×",
      "1.50×",
    ]);
    expect(row(html, "Idle instance time")).toEqual(["0.5 h", "0.5 h", "2.0 h"]);
    expect(row(html, "EC2")).toEqual(["$0.1250", "$0.0900", "$0.1250"]);
    expect(row(html, "Control plane")).toEqual(["$0.0021", "$0.0021", "$0.0021"]);
    expect(row(html, "Total")).toEqual(["$0.1271", "$0.0921", "$0.1271"]);
    expect(row(html, "Launches")).toEqual(["4", "4", "4"]);
    expect(row(html, "EC2 API calls per job")).toEqual(["2.5", "2.5", "2.5"]);
    expect(row(html, "GitLab API calls per job")).toEqual(["4.5", "4.5", "4.5"]);
    expect(row(html, "Throttled calls")).toEqual(["0", "0", "0"]);
    expect(row(html, "Max concurrent instances")).toEqual(["3", "3", "3"]);
    expect(row(html, "Leaked instances")).toEqual(["0", "2", "0"]);
    expect(row(html, "Leaked runners")).toEqual(["0", "0", "0"]);
    expect(row(html, "Wall time")).toEqual(["0.42 s", "0.42 s", "0.42 s"]);
    expect(row(html, "bootMedianS")).toEqual(["60", "60", "60"]);
  });

  it("marks the best policy of a row where they differ, and a leak as a fault", () => {
    const html = render(comparison);

    expect(html).toMatch(/<td class="num best">12s<\/td><\/tr>/);
    expect(html).toMatch(/<td class="num fault">2<\/td>/);
    // A tie marks nobody.
    expect(html).toMatch(/scope="row">Wait max<\/th>(<td class="num">[^<]*<\/td>){3}<\/tr>/);
  });

  it("escapes a hostile title and trace name: they show as text and run nothing", () => {
    const hostile = "<script>alert(1)</script>";
    const html = render([run("default")], hostile, `"><img src=x onerror=alert(2)>.jsonl`);

    expect(html).not.toContain(hostile);
    expect(html).not.toContain("<img");
    expect(html).toContain("<title>&#60;script&#62;alert(1)&#60;/script&#62;</title>");
    expect(html).toContain("&#34;&#62;&#60;img src=x onerror=alert(2)&#62;.jsonl");
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it("loads nothing: no URL but the escaped trace name, no external script, style or image", () => {
    const trace = "https://ci.example/traces/week.jsonl";
    const html = render(comparison, "Week", trace);
    const withoutTrace = html.replaceAll(escapeHtml(trace), "");

    expect(withoutTrace).not.toMatch(/https?:\/\//);
    expect(withoutTrace).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link|<img|<iframe|@import|url\(|\s(src|href)=/i);
  });

  it("thins a week of 10-s samples to at most 1,500 points a chart and a light page", () => {
    const week = tenSecondSamples(7);

    const html = render(
      (["default", "per-job", "idle-pool"] as const).map((policy) => longRun(policy, week)),
    );

    for (const chart of charts(html)) {
      const points = paths(chart).reduce((sum, d) => sum + vertices(d), 0);
      // Each stacked layer closes on two baseline points.
      expect(points).toBeLessThanOrEqual(1_500 + 2 * 4);
    }
    // The peaks survive the thinning: each burst of 9 pending jobs, one sample long, still shows.
    const pending = tipOf(charts(html)[0] ?? "").series[0]?.points ?? [];
    expect(pending.filter(([, jobs]) => jobs === 9)).toHaveLength(Math.ceil(week.length / 97));
    expect(html.length).toBeLessThan(1_200_000);
  });

  it("draws a month of 10-s samples, more than a function takes as arguments", () => {
    const html = render([longRun("default", tenSecondSamples(30))]);

    expect(charts(html)).toHaveLength(4);
    expect(html).toContain(">+28d</tspan>");
  });

  it("says so where a run has nothing to draw", () => {
    const html = render([{ ...run("default"), samples: [], waits: [] }]);

    expect(html).toContain(">no samples</text>");
    expect(html).toContain(">no job started</text>");
  });
});
