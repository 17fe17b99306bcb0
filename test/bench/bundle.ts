import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { summarize } from "./stats";

const run = promisify(execFile);

export interface BundleReport {
  readonly entry: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly moduleLoad: ReturnType<typeof summarize>;
  readonly rssAfterLoadMiB: number;
}

/** Bundles a function as SST does (ESM, minified, AWS SDK included) and times a cold import of it. */
export const measureBundle = async (
  entry: string,
  env: Record<string, string>,
  coldStarts = 7,
): Promise<BundleReport> => {
  const outdir = await mkdtemp(join(tmpdir(), "bench-bundle-"));
  const outfile = join(outdir, "index.mjs");
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    target: "node22",
    // CommonJS dependencies call require(); SST adds the same shim.
    banner: {
      js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
    },
    logLevel: "error",
  });
  const code = await readFile(outfile);
  const probe = join(outdir, "probe.mjs");
  await writeFile(
    probe,
    `const t=performance.now();await import(${JSON.stringify(outfile)});` +
      "console.log(JSON.stringify({ms:performance.now()-t,rss:process.memoryUsage().rss}));",
  );
  const loads: number[] = [];
  let rss = 0;
  for (let i = 0; i < coldStarts; i++) {
    const { stdout } = await run(process.execPath, [probe], { env: { ...process.env, ...env } });
    const result = JSON.parse(stdout) as { ms: number; rss: number };
    loads.push(result.ms);
    rss = Math.max(rss, result.rss);
  }
  return {
    entry,
    bytes: code.length,
    gzipBytes: gzipSync(code).length,
    moduleLoad: summarize(loads),
    rssAfterLoadMiB: Math.round((rss / 1024 / 1024) * 10) / 10,
  };
};
