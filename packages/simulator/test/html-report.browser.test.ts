import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import puppeteer, { type Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupAlive } from "../../../test/support/processes";
import { perKind } from "../src/faults/fault-spec";
import { renderHtmlReport } from "../src/report/html-report";
import type { PolicyName, Sample, SimulationRun } from "../src/result";

/** Debian's chromium (.ci/run installs it); puppeteer-core brings no browser of its own. */
const CHROMIUM = "/usr/bin/chromium";
const HOSTILE_TITLE = "<script>alert(1)</script> what-if";

/** A made-up day at 10-s samples: office-hours load, each policy with its own idle pool and lag. */
const syntheticRun = (policy: PolicyName, idlePool: number, lagSamples: number): SimulationRun => {
  const demand = (index: number) => {
    const hour = (index / 360) % 24;
    const office = hour > 8 && hour < 18 ? Math.sin(((hour - 8) / 10) * Math.PI) : 0;
    return Math.round(3 + 30 * office + 4 * Math.sin(index / 7));
  };
  const samples = Array.from({ length: 8_640 }, (_, index): Sample => {
    const busy = demand(Math.max(0, index - lagSamples));
    return {
      atS: index * 10,
      pendingJobs: Math.max(0, demand(index) - busy),
      runningJobs: busy,
      booting: index % 9 === 0 ? 3 : 1,
      idle: idlePool,
      busy,
      stopping: index % 11 === 0 ? 2 : 0,
      ec2CostUsd: index * 0.0007 * (1 + idlePool / 10),
      controlPlaneCostUsd: index * 0.000002,
    };
  });
  const waits = Array.from({ length: 2_000 }, (_, job) =>
    Math.floor((job / 2_000) ** 4 * lagSamples * 10),
  );
  return {
    summary: {
      policy,
      label: policy,
      jobs: 2_000,
      completed: 1_998,
      lostJobs: 0,
      waitP50S: waits[1_000] ?? 0,
      waitP95S: waits[1_900] ?? 0,
      waitMaxS: waits.at(-1) ?? 0,
      waitByStage: [{ position: 1, jobs: 2_000, p50S: waits[1_000] ?? 0, p95S: waits[1_900] ?? 0 }],
      laterStageWaitP95S: 0,
      instanceSeconds: 700_000,
      idleInstanceSeconds: idlePool * 86_400,
      idealInstanceSeconds: 500_000,
      ec2CostUsd: samples.at(-1)?.ec2CostUsd ?? 0,
      controlPlaneCostUsd: samples.at(-1)?.controlPlaneCostUsd ?? 0,
      launches: 2_100,
      ec2ApiCalls: 6_300,
      gitlabApiCalls: 9_000,
      gitlabApiCallsByPurpose: {
        lifecycle: 4_200,
        tags: 2_100,
        reconcile: 2_000,
        watchdog: 100,
        other: 600,
      },
      gitlabRunnersCreated: 2_100,
      gitlabRunnersDeleted: 2_100,
      maxLiveRegistrations: 45,
      tokenResets: 0,
      retainedRegistrations: 0,
      ssmCalls: 16_800,
      starvedByScopeLimit: 0,
      throttledCalls: 3,
      maxConcurrentInstances: 45,
      leakedInstances: 0,
      leakedRunners: 0,
      leakedTokens: 0,
      leakedSlots: 0,
      faultsInjected: perKind(() => 0),
      invariantViolations: [],
      waitBoundS: 141,
      world: {
        seed: 1,
        bootMedianS: 60,
        bootMeanS: 70,
        bootP95S: 110,
        checkIntervalS: 60,
        powerOffS: 20,
      },
      wallSeconds: 2.5,
    },
    startedAt: "2026-11-26T00:00:00.000Z",
    samples,
    sampleEveryS: 10,
    waits,
  };
};

const PAGES = {
  "one run": [syntheticRun("default", 2, 6)],
  "three policies": [
    syntheticRun("default", 2, 6),
    syntheticRun("per-job", 0, 12),
    syntheticRun("idle-pool", 8, 1),
  ],
};

let browser: Browser | undefined;
let folder = "";

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is not installed: apt-get install --no-install-recommends chromium`,
    );
  folder = await mkdtemp(join(tmpdir(), "html-report-"));
  // Runs under faketime too (CI's second run): Chromium starts fine with its LD_PRELOAD.
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    pipe: true,
    // Root (a CI container) has no user namespace for Chromium's sandbox.
    args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
  });
});

afterAll(async () => {
  const pid = browser?.process()?.pid;
  await browser?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
  // Puppeteer starts Chromium as a process group's leader: none of its helpers may outlive it.
  for (let tries = 0; pid !== undefined && groupAlive(pid); tries++) {
    if (tries === 50) throw new Error(`Chromium's processes (group ${pid}) outlived the test`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

describe.each(Object.entries(PAGES))(
  "the HTML report of %s, in headless Chromium",
  (name, runs) => {
    it("renders every chart, with no console error, page error or request", async () => {
      if (!browser) throw new Error("Chromium did not start");
      const file = join(folder, `${name.replaceAll(" ", "-")}.html`);
      await writeFile(file, renderHtmlReport({ title: HOSTILE_TITLE, trace: "day.jsonl", runs }));
      const url = pathToFileURL(file).href;
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console: ${message.text()}`);
      });
      page.on("pageerror", (error) => problems.push(`page error: ${String(error)}`));
      page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
      await page.setRequestInterception(true);
      page.on("request", (request) => {
        if (request.url() === url) return void request.continue();
        problems.push(`request: ${request.url()}`);
        void request.abort();
      });

      await page.goto(url, { waitUntil: "load" });
      const charts = await page.$$eval("svg.plot", (svgs) =>
        svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          const plot = svg.querySelector(".plot-area")?.getBoundingClientRect();
          const marks = [...svg.querySelectorAll("path")].map((path) => {
            const drawn = path.getBBox();
            return {
              vertices: path.getAttribute("d")?.match(/[MLHV]/g)?.length ?? 0,
              widthShare: plot
                ? (drawn.width * box.width) / svg.viewBox.baseVal.width / plot.width
                : 0,
            };
          });
          return {
            label: svg.getAttribute("aria-label"),
            width: box.width,
            height: box.height,
            marks,
          };
        }),
      );
      const heading = await page.$eval("h1", (h1) => h1.textContent);
      const hovered = await page.$("svg.plot");
      const hoverBox = await hovered?.boundingBox();
      if (hoverBox)
        await page.mouse.move(hoverBox.x + hoverBox.width / 2, hoverBox.y + hoverBox.height / 3);
      const tooltip = await page.$eval("#tip", (tip) => ({
        shown: !tip.hasAttribute("hidden"),
        text: tip.textContent,
      }));
      await page.close();

      expect(problems).toEqual([]);
      expect(charts).toHaveLength(runs.length === 1 ? 4 : 3 * 2 + 2);
      for (const chart of charts) {
        expect(chart.width, `${chart.label} is drawn`).toBeGreaterThan(200);
        expect(chart.height, `${chart.label} is drawn`).toBeGreaterThan(100);
        const longest = Math.max(...chart.marks.map((mark) => mark.vertices));
        expect(longest, `${chart.label} has a line or an area of many points`).toBeGreaterThan(50);
        const widest = Math.max(...chart.marks.map((mark) => mark.widthShare));
        expect(widest, `${chart.label} spans its plot`).toBeGreaterThan(0.5);
      }
      expect(heading).toBe(HOSTILE_TITLE);
      expect(tooltip.shown).toBe(true);
      expect(tooltip.text).toMatch(/^\+\d+h \d+m · 2026-11-26 \d\d:\d\d UTCpending jobs: \d+$/);
    });
  },
);
