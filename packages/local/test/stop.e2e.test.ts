import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { groupAlive } from "../../../test/support/processes";
import { freePort } from "../src/index";

const ROOT = new URL("../../../", import.meta.url).pathname;

const waitUntil = async (condition: () => boolean, seconds: number) => {
  const deadline = Date.now() + seconds * 1000;
  while (!condition() && Date.now() < deadline) await sleep(100);
  return condition();
};

/** `npm start` in a process group of its own, so the test can see everything it started. */
const startStack = async (): Promise<ChildProcess & { pid: number }> => {
  const stack = spawn("npm", ["start"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(await freePort()),
      AUTOSCALER_CONFIG: "test/support/e2e.config.json",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  stack.stdout?.on("data", (chunk) => (log += chunk));
  stack.stderr?.on("data", (chunk) => (log += chunk));
  const up = await waitUntil(() => log.includes("Local control plane is up"), 60);
  if (!up || stack.pid === undefined) throw new Error(`local stack did not start:\n${log}`);
  return stack as ChildProcess & { pid: number };
};

describe("npm start, stopped", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "by %s sent to npm alone leaves no process behind (DynamoDB Local included)",
    async (signal) => {
      const stack = await startStack();
      try {
        process.kill(stack.pid, signal);

        // DynamoDB Local's JVM ends within seconds alone, but a full suite's load can stretch it.
        expect(await waitUntil(() => !groupAlive(stack.pid), 80)).toBe(true);
      } finally {
        if (groupAlive(stack.pid)) process.kill(-stack.pid, "SIGKILL");
      }
    },
    // Starting npm, tsx and DynamoDB Local takes a while on a small machine.
    160_000,
  );
});
