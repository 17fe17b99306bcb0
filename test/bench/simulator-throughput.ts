import { readFile } from "node:fs/promises";
import { loadConfigFile } from "@ger/core";
import { parseTrace, runSimulation } from "@ger/simulator";

const TRACE = "test/fixtures/traces/work-week.csv";
const CONFIG = "test/fixtures/traces/week.config.json";

/** The sample work week through this project's control plane: simulated jobs per wall second. */
export const measureSimulatorThroughput = async () => {
  const trace = parseTrace(await readFile(TRACE, "utf8"));
  const config = await loadConfigFile(CONFIG);
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const run = await runSimulation({ trace, config });
  const wallSeconds = (performance.now() - started) / 1000;
  return {
    trace: TRACE,
    jobs: trace.length,
    wallSeconds: Math.round(wallSeconds * 100) / 100,
    jobsPerWallSecond: Math.round(trace.length / wallSeconds),
    simulatedDays: Math.round((run.samples.length * run.sampleEveryS) / 864) / 100,
    heapGrowthMiB: Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024 / 102.4) / 10,
  };
};
