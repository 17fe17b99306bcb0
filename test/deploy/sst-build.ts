import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import { type BuildOptions, build, type Plugin } from "esbuild";
import { ESM_BANNER } from "./esm-banner";

/*
 * sst.config.ts built as SST 4.17.1's CLI builds it: once to evaluate `app()` for the stage
 * (pkg/project/project.go, New), once as the deploy's Pulumi program (pkg/project/run.go, Run),
 * both through pkg/js/js.go's esbuild settings.
 */

export interface SstPaths {
  readonly root: string;
  /** .sst/platform: SST's components, its shim, and the node_modules the program imports. */
  readonly platform: string;
  /** Stands in for .sst: the builds, the function artifacts and their zips. */
  readonly work: string;
}

/** $app as the CLI completes and marshals it (pkg/project/project.go, App). */
export interface SstApp {
  readonly name: string;
  readonly stage: string;
  readonly removal: "remove" | "retain" | "retain-all";
  readonly providers: Record<string, unknown>;
  readonly home: string;
  readonly version: string;
  readonly protect: boolean;
  readonly watch: { readonly paths: null; readonly ignore: null };
  readonly state: null;
  readonly types: { readonly ignore: null };
  readonly backend: string;
  readonly removalPolicy: string;
}

/** What the program imports at run time, from .sst/platform/node_modules (pkg/js/js.go). */
const EXTERNAL = [
  "@pulumi/*",
  "undici",
  "@pulumiverse/*",
  "@sst-provider/*",
  "@aws-sdk/*",
  "esbuild",
  "archiver",
  "glob",
  "vite",
];

const run = promisify(execFile);

/** js.go's DisallowImports: sst.config.ts may import nothing at its top level. */
const disallowTopLevelImports: Plugin = {
  name: "DisallowImports",
  setup(esbuild) {
    esbuild.onResolve({ filter: /.*/ }, (args) => {
      if (basename(args.importer) === "sst.config.ts" && args.kind === "import-statement")
        throw new Error("ErrTopLevelImport: sst.config.ts imports at its top level");
      return undefined;
    });
  },
};

/** js.go's InjectGlobals: the provider imports, prepended to every source file outside .sst. */
const injectGlobals = (globals: string): Plugin => ({
  name: "InjectGlobals",
  setup(esbuild) {
    esbuild.onLoad({ filter: /\.(js|ts|jsx|tsx)$/ }, (args) => {
      if (args.path.includes(".sst")) return undefined;
      return { contents: `${globals}\n${readFileSync(args.path, "utf8")}`, loader: "default" };
    });
  },
});

const esbuildOptions = (paths: SstPaths, outfile: string, banner: string): BuildOptions => ({
  absWorkingDir: paths.root,
  banner: { js: `\n${ESM_BANNER}\n${banner}` },
  mainFields: ["module", "main"],
  format: "esm",
  platform: "node",
  sourcemap: "linked",
  nodePaths: [join(paths.platform, "node_modules")],
  external: EXTERNAL,
  outfile,
  write: true,
  bundle: true,
  metafile: true,
  logLevel: "silent",
});

/** The App the CLI derives from `app()`: defaults filled, as project.go's New does. */
const completeApp = (
  evaluated: Partial<Omit<SstApp, "providers">> & { providers?: Record<string, unknown> },
  stage: string,
): SstApp => {
  if (!evaluated.name) throw new Error("Project name is required");
  if (/^[^a-zA-Z]|[^a-zA-Z0-9-]/.test(evaluated.name)) throw new Error("ErrInvalidAppName");
  if (!evaluated.home)
    throw new Error(`You must specify a "home" provider in the project configuration file.`);
  const providers = Object.fromEntries(
    Object.entries(evaluated.providers ?? {}).map(([name, args]) => [
      name,
      typeof args === "string" ? { version: args } : args,
    ]),
  );
  if (evaluated.home !== "local") providers[evaluated.home] ??= {};
  const removal = evaluated.removal ?? "retain";
  if (!["remove", "retain", "retain-all"].includes(removal))
    throw new Error("Removal must be one of: remove, retain, retain-all");
  return {
    name: evaluated.name,
    stage,
    removal,
    providers,
    home: evaluated.home,
    version: evaluated.version ?? "",
    protect: evaluated.protect ?? false,
    watch: { paths: null, ignore: null },
    state: null,
    types: { ignore: null },
    backend: "",
    removalPolicy: "",
  };
};

const STAGE_NAME = /^[a-zA-Z0-9-]+$/;

/**
 * `app({ stage })` evaluated in its own Node process, as the CLI does before any command; several
 * stages from one build, which differs from the CLI's one build per stage only in `$input`.
 */
export const evaluateApp = async (
  paths: SstPaths,
  stages: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<SstApp[]> => {
  const invalid = stages.filter((stage) => !STAGE_NAME.test(stage));
  if (invalid.length > 0) throw new Error(`ErrInvalidStageName: ${invalid.join(", ")}`);
  const outfile = join(paths.work, "sst.app.mjs");
  await build({
    ...esbuildOptions(paths, outfile, "function $config(input) { return input }"),
    stdin: {
      contents: `import mod from '${join(paths.root, "sst.config.ts")}';
for (const stage of $input.stages)
  console.log("~j" + JSON.stringify(await mod.app({ stage: stage || undefined })))`,
      resolveDir: paths.root,
      sourcefile: "eval.ts",
      loader: "ts",
    },
    define: { $input: JSON.stringify({ stages }) },
    plugins: [disallowTopLevelImports],
  });
  const { stdout } = await run(process.execPath, ["--no-warnings", outfile], { env });
  const apps = stdout.split("\n").filter((printed) => printed.startsWith("~j"));
  if (apps.length !== stages.length) throw new Error(`sst.config.ts app() printed:\n${stdout}`);
  return apps.map((line, index) => completeApp(JSON.parse(line.slice(2)), stages[index] ?? ""));
};

/** The provider imports every file gets: the lock's (`aws`), and SST's components as `sst`. */
const providerGlobals = (paths: SstPaths) => {
  const lock = JSON.parse(readFileSync(join(paths.root, ".sst/provider-lock.json"), "utf8")) as {
    alias: string;
    package: string;
  }[];
  return [
    ...lock.map((entry) => `import * as ${entry.alias} from "${entry.package}";`),
    `import * as sst from "${join(paths.platform, "src/components")}";`,
  ].join("\n");
};

/** The deploy's Pulumi program: `run(mod.run)` with $app, $cli and $dev defined, SST's shim injected. */
export const buildProgram = async (
  paths: SstPaths,
  app: SstApp,
  plugins: readonly Plugin[],
): Promise<string> => {
  const outfile = join(paths.work, `sst.config.${app.stage}.mjs`);
  const globals = providerGlobals(paths);
  const cli = {
    command: "deploy",
    dev: false,
    paths: {
      home: join(homedir(), ".config", "sst"),
      root: paths.root,
      work: paths.work,
      platform: paths.platform,
    },
    // A first deploy: no component versions from an earlier one.
    state: { version: {} },
  };
  await build({
    ...esbuildOptions(paths, outfile, ""),
    stdin: {
      contents: `
import { run } from "${join(paths.platform, "src/auto/run.ts")}";
import mod from '${join(paths.root, "sst.config.ts")}';
const result = await run(mod.run);
export default result;`,
      resolveDir: paths.root,
      sourcefile: "eval.ts",
      loader: "ts",
    },
    define: { $app: JSON.stringify(app), $cli: JSON.stringify(cli), $dev: "false" },
    inject: [join(paths.platform, "src/shim/run.js")],
    plugins: [injectGlobals(globals), ...plugins],
  });
  return outfile;
};

/**
 * Builds with `replacement` wherever code imports the repository's autoscaler.config.ts (infra and
 * every function bundle alike), as if the file said what `replacement` says.
 */
export const replacePoolsConfig = (root: string, replacement: string): Plugin => ({
  name: "replace-pools-config",
  setup(esbuild) {
    const shipped = join(root, "autoscaler.config.ts");
    esbuild.onResolve({ filter: /autoscaler\.config(\.ts)?$/ }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      return target === shipped || `${target}.ts` === shipped ? { path: replacement } : undefined;
    });
  },
});
