import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DEFAULT_LOCAL_PORT } from "@ger/local/settings";

export interface ReapOptions {
  readonly dryRun: boolean;
  readonly json: boolean;
}

interface ReapResult {
  readonly reap: { readonly skipped: boolean; readonly retired: Record<string, number> };
  readonly actions: readonly Record<string, unknown>[];
}

/** Runs the reaper where it lives: the local stack's, or the deployed function named by REAPER_FUNCTION. */
export const invokeReaper = async (
  payload: { dryRun: boolean },
  env: NodeJS.ProcessEnv,
): Promise<ReapResult> => {
  if (env.REAPER_FUNCTION) {
    const client = new LambdaClient({});
    try {
      const response = await client.send(
        new InvokeCommand({
          FunctionName: env.REAPER_FUNCTION,
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
      if (response.FunctionError)
        throw new Error(`the reaper failed: ${new TextDecoder().decode(response.Payload)}`);
      return JSON.parse(new TextDecoder().decode(response.Payload)) as ReapResult;
    } finally {
      client.destroy();
    }
  }
  const url = `http://127.0.0.1:${env.PORT ?? DEFAULT_LOCAL_PORT}/-/invoke/reaper`;
  // The stack runs functions for JSON from this machine only (no web page can send that unasked).
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  }).catch(() => undefined);
  if (!response) {
    throw new Error(
      `no local stack answered at ${url}: start one with 'npm start', or set REAPER_FUNCTION to a deployed reaper`,
    );
  }
  if (!response.ok)
    throw new Error(`the local stack answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as ReapResult;
};

const describeAction = (action: Record<string, unknown>) =>
  Object.entries(action)
    .map(([key, value]) => `${key}=${value}`)
    .join("  ");

/** `reap [--dry-run]`: what a reaper pass does (or would do) and why. */
export const runReap = async (options: ReapOptions): Promise<void> => {
  const result = await invokeReaper({ dryRun: options.dryRun }, process.env);
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  if (result.reap.skipped) {
    console.log("another reaper pass is running; nothing done");
    return;
  }
  const verb = options.dryRun ? "would do" : "did";
  console.log(result.actions.length === 0 ? `the reaper ${verb} nothing` : `the reaper ${verb}:`);
  for (const action of result.actions) console.log(`  ${describeAction(action)}`);
};
