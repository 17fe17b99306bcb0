/**
 * Writes the sample traces of test/fixtures/traces/ from their fixed seeds (SAMPLE_TRACES):
 *   npx tsx scripts/generate-traces.ts
 * The tests check that the checked-in files equal a fresh generation, so change the model in
 * packages/simulator/src/trace/generate-traces.ts and run this, never edit the CSV files.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { peakConcurrency, SAMPLE_TRACES } from "../packages/simulator/src/trace/generate-traces";
import { formatTrace } from "../packages/simulator/src/trace/parse-trace";

const TRACES = fileURLToPath(new URL("../test/fixtures/traces/", import.meta.url));
const x86 = (job: { tags: readonly string[] }) => job.tags.includes("amd64");

for (const { file, seed, generate } of SAMPLE_TRACES) {
  const jobs = generate(seed);
  writeFileSync(`${TRACES}${file}`, formatTrace(jobs));
  const peaks = `peak concurrency ${peakConcurrency(jobs)} (amd64 ${peakConcurrency(jobs, x86)}, other ${peakConcurrency(jobs, (job) => !x86(job))})`;
  console.log(`${file}: seed ${seed}, ${jobs.length} jobs, ${peaks}`);
}
