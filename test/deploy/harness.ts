import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import type { MockAccount } from "./aws-mocks";
import { type CliServer, startCliServer } from "./cli-server";
import { type BuildInput, buildNodeFunction } from "./node-runtime";
import type { BuiltBundle, ProgramRecord, RecordedResource, Values } from "./record";
import { runToEnd } from "./run-to-end";
import {
  buildProgram,
  evaluateApp,
  replacePoolsConfig,
  type SstApp,
  type SstPaths,
} from "./sst-build";
import { assertPinnedSst } from "./sst-pin";

/*
 * `sst deploy` without AWS: sst.config.ts built as SST's CLI builds it, run in a child Node process
 * against Pulumi's mock monitor (test/deploy/mock-program.ts), its RPC calls to the CLI answered
 * here (Runtime.Build bundles each function as SST does; Provider.Aws.Bootstrap names asset
 * buckets). What comes back is every resource the deploy would create, with its inputs.
 */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Where the mocks deploy: the account test/support/iam-evaluate.ts signs requests in. */
export const MOCK_ACCOUNT: MockAccount = {
  account: "123456789012",
  region: "eu-central-1",
  partition: "aws",
};

export interface DeployOptions {
  readonly stage: string;
  /** The pools config to deploy in place of autoscaler.config.ts, relative to the repository. */
  readonly config?: string;
  /** Variables the operator sets at deploy time (ALARM_EMAIL, REMOVE_PROTECTED_STAGE). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface Deployment {
  readonly app: SstApp;
  readonly resources: readonly RecordedResource[];
  readonly outputs: Values;
  readonly bundles: readonly BuiltBundle[];
  /** The program's calls to the CLI, in order. */
  readonly calls: CliServer["calls"];
  /** What the program printed: SST's warnings, if any. */
  readonly log: string;
  /** Removes the builds, bundles and zips. */
  dispose(): void;
}

/** The deploy failed where `sst deploy` would: `declared` is what it had declared by then. */
export class DeployFailed extends Error {
  constructor(
    message: string,
    readonly declared: readonly RecordedResource[],
  ) {
    super(message);
  }
}

const PLATFORM = join(ROOT, ".sst/platform");

/** SST's platform, installed offline as `npm run typecheck:infra` does (idempotent, ~25 s). */
export const ensurePlatform = () => {
  if (!existsSync(join(PLATFORM, "config.d.ts")))
    execFileSync("sh", ["scripts/sst-platform.sh"], { cwd: ROOT, stdio: "pipe" });
};

/**
 * The environment of the builds and the program: nothing from the caller's shell but PATH and
 * HOME (no credentials, no ALARM_EMAIL), dummy credentials and an endpoint nothing listens on.
 */
const deployEnvironment = (extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  ...extra,
  SST_AWS_ACCESS_KEY_ID: "AKIAHARNESSNOTREAL00",
  SST_AWS_SECRET_ACCESS_KEY: "harness-not-a-secret",
  SST_AWS_REGION: MOCK_ACCOUNT.region,
  AWS_ENDPOINT_URL: "http://127.0.0.1:9",
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
  NODE_OPTIONS: "--enable-source-maps --no-deprecation --no-warnings",
});

/** What Provider.Aws.Bootstrap returns: the account's SST buckets and asset repository. */
const bootstrapData = ({ region }: { region: string }) => ({
  asset: `sst-asset-${MOCK_ACCOUNT.account}`,
  assetEcrRegistryId: MOCK_ACCOUNT.account,
  assetEcrUrl: `${MOCK_ACCOUNT.account}.dkr.ecr.${region}.amazonaws.com/sst-asset`,
  state: `sst-state-${MOCK_ACCOUNT.account}`,
  appsyncHttp: "",
  appsyncRealtime: "",
});

const bundleMockProgram = async (work: string) => {
  const outfile = join(work, "mock-program.mjs");
  await build({
    entryPoints: [join(ROOT, "test/deploy/mock-program.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    logLevel: "silent",
  });
  return outfile;
};

const runProgram = async (
  paths: SstPaths,
  app: SstApp,
  program: string,
  plugins: readonly Plugin[],
  env: NodeJS.ProcessEnv,
) => {
  const bundles: BuiltBundle[] = [];
  const server = await startCliServer({
    "Runtime.Build": async (input: BuildInput) => {
      const built = await buildNodeFunction(input, { ...paths, plugins });
      bundles.push({ functionID: input.functionID, out: built.out, handler: built.handler });
      return built;
    },
    "Provider.Aws.Bootstrap": async (input: { region: string }) => bootstrapData(input),
  });
  try {
    const recordPath = join(paths.work, "record.json");
    const { code, output } = await runToEnd(
      process.execPath,
      [await bundleMockProgram(paths.work), program, recordPath],
      {
        env: {
          ...env,
          SST_SERVER: server.url,
          HARNESS_APP: JSON.stringify(app),
          HARNESS_ACCOUNT: JSON.stringify(MOCK_ACCOUNT),
        },
        timeoutMs: 60_000,
      },
    );
    if (!existsSync(recordPath))
      throw new DeployFailed(`the program exited ${code} with no record:\n${output}`, []);
    const record = JSON.parse(readFileSync(recordPath, "utf8")) as ProgramRecord;
    if (record.error) throw new DeployFailed(`${record.error}\n${output}`, record.resources);
    return { record, bundles, calls: server.calls, log: output };
  } finally {
    await server.close();
  }
};

/** Every resource `sst deploy --stage <stage>` would create, with its inputs, and the stack's outputs. */
export const recordDeployment = async (options: DeployOptions): Promise<Deployment> => {
  ensurePlatform();
  assertPinnedSst(ROOT);
  const work = mkdtempSync(join(PLATFORM, "deploy-harness-"));
  const dispose = () => rmSync(work, { recursive: true, force: true });
  const paths: SstPaths = { root: ROOT, platform: PLATFORM, work };
  const plugins = options.config ? [replacePoolsConfig(ROOT, resolve(ROOT, options.config))] : [];
  const env = deployEnvironment(options.env);
  try {
    const [app] = await evaluateApp(paths, [options.stage], env);
    if (!app) throw new Error(`no app for stage ${options.stage}`);
    const program = await buildProgram(paths, app, plugins);
    const { record, bundles, calls, log } = await runProgram(paths, app, program, plugins, env);
    return {
      app,
      resources: record.resources,
      outputs: record.outputs,
      bundles,
      calls,
      log,
      dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
};

/** `app()` for each stage, as the CLI evaluates it before any command (`sst remove` included). */
export const evaluateStages = async (
  stages: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<SstApp[]> => {
  ensurePlatform();
  assertPinnedSst(ROOT);
  const work = mkdtempSync(join(PLATFORM, "deploy-harness-"));
  try {
    return await evaluateApp(
      { root: ROOT, platform: PLATFORM, work },
      stages,
      deployEnvironment(env),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};
