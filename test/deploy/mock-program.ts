import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { assignedOutputs, dataSourceResult, type MockAccount } from "./aws-mocks";
import type { ProgramRecord, RecordedResource, Values } from "./record";

/*
 * The child process that runs the built SST program as Pulumi's Node language host would, with
 * Pulumi's mock monitor for the engine: `node mock-program.mjs <program.mjs> <record.json>`, the
 * app and account in HARNESS_APP and HARNESS_ACCOUNT. Bundled by the harness; @pulumi/pulumi is
 * SST's own copy next to the program, the one the program talks to.
 */

interface Struct {
  toJavaScript(): Values;
}

/** The RegisterResourceRequest getters the recorder reads. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): Struct | undefined;
  getRetainondelete(): boolean;
}

interface Monitor {
  registerResource(request: RegisterRequest, callback: (...args: unknown[]) => void): unknown;
  newUrn(parent: string, type: string, name: string): string;
}

interface Mocks {
  newResource(args: { type: string; name: string; inputs: Values }): { id: string; state: Values };
  call(args: { token: string; inputs: Values }): Values;
}

/** The parts of @pulumi/pulumi's runtime (3.215, SST 4.17.1's) the harness drives. */
interface PulumiRuntime {
  setMocks(mocks: Mocks, project: string, stack: string, preview: boolean): Promise<void>;
  getMonitor(): Monitor;
  runInPulumiStack(init: () => Promise<unknown>): Promise<Values | undefined>;
  waitForRPCs(): Promise<void>;
  specialSigKey: string;
  specialSecretSig: string;
  specialAssetSig: string;
  specialArchiveSig: string;
  specialResourceSig: string;
}

const [programPath = "", recordPath = ""] = process.argv.slice(2);
const app = JSON.parse(process.env.HARNESS_APP ?? "{}") as { name: string; stage: string };
const account = JSON.parse(process.env.HARNESS_ACCOUNT ?? "{}") as MockAccount;
const { runtime } = createRequire(programPath)("@pulumi/pulumi") as { runtime: PulumiRuntime };
for (const internal of ["setMocks", "getMonitor", "runInPulumiStack", "waitForRPCs"] as const)
  if (typeof runtime[internal] !== "function")
    throw new Error(`@pulumi/pulumi has no runtime.${internal}: not SST 4.17.1's (3.215)`);

const SIGNATURES = {
  [runtime.specialSecretSig]: (value: Values) => plain(value.value),
  [runtime.specialAssetSig]: (value: Values) => ({ "@asset": value.path }),
  [runtime.specialArchiveSig]: (value: Values) => ({ "@archive": value.path }),
  [runtime.specialResourceSig]: (value: Values) => ({ "@urn": value.urn }),
};

/** A serialized property as plain JSON. */
const plain = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== "object") return value;
  const signature = (value as Values)[runtime.specialSigKey];
  if (typeof signature === "string") {
    const convert = SIGNATURES[signature];
    if (!convert) throw new Error(`unexpected Pulumi value signature ${signature}`);
    return convert(value as Values);
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
};

const declared: Omit<RecordedResource, "outputs">[] = [];
const assigned = new Map<string, Values>();
const failures: string[] = [];
const keyOf = (type: string, name: string) => `${type}::${name}`;

await runtime.setMocks(
  {
    newResource: ({ type, name, inputs }) => {
      const { id, assigned: outputs } = assignedOutputs(account, { type, name, inputs });
      if (assigned.has(keyOf(type, name))) throw new Error(`two ${type} are named ${name}`);
      assigned.set(keyOf(type, name), { id, ...outputs });
      return { id, state: { ...inputs, ...outputs } };
    },
    call: ({ token, inputs }) => dataSourceResult(account, { token, inputs }),
  },
  app.name,
  app.stage,
  false,
);

// The mock monitor hands the mocks only type, name and inputs: the request has the options too.
const monitor = runtime.getMonitor();
const register = monitor.registerResource.bind(monitor);
monitor.registerResource = (request, callback) => {
  declared.push({
    type: request.getType(),
    name: request.getName(),
    urn: monitor.newUrn(request.getParent(), request.getType(), request.getName()),
    parent: request.getParent(),
    custom: request.getCustom(),
    inputs: plain(request.getObject()?.toJavaScript() ?? {}) as Values,
    retainOnDelete: request.getRetainondelete() === true,
  });
  return register(request, callback);
};

// As the language host does: a rejection nobody handles fails the deploy.
const fail = (error: unknown) =>
  failures.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
process.on("unhandledRejection", fail);
process.on("uncaughtException", fail);

let outputs: Values = {};
try {
  const program = async () => (await import(pathToFileURL(programPath).href)).default;
  outputs = plain((await runtime.runInPulumiStack(program)) ?? {}) as Values;
  await runtime.waitForRPCs();
} catch (error) {
  fail(error);
}

const record: ProgramRecord = {
  resources: declared.map((resource) => ({
    ...resource,
    outputs: assigned.get(keyOf(resource.type, resource.name)) ?? {},
  })),
  outputs,
  ...(failures.length > 0 && { error: failures.join("\n") }),
};
writeFileSync(recordPath, JSON.stringify(record));
process.exit(failures.length > 0 ? 1 : 0);
