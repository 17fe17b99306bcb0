import { type ChildProcess, execFile, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docsJobHook, jobHook } from "../../../test/support/gitlab";
import { groupAlive } from "../../../test/support/processes";
import { DEFAULT_LOCAL_WEBHOOK_SECRET, freePort } from "../src/index";

const run = promisify(execFile);
const ROOT = new URL("../../../", import.meta.url).pathname;

let stack: ChildProcess;
let port: number;
let log = "";

/** `npm start` as a user runs it, on a free port; resolves once it prints that it is up. */
beforeAll(async () => {
  port = await freePort();
  stack = spawn("npx", ["tsx", "packages/local/src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      WEBHOOK_SECRET: undefined,
      SIM_BOOT_DELAY_MS: "300",
      SIM_CHECK_INTERVAL_MS: "100",
      SCALER_SCHEDULE_SECONDS: "2",
      // Runners that find no job give up after 2 s, as with a short idle_time.
      AUTOSCALER_CONFIG: "test/support/e2e.config.json",
      REAPER_SCHEDULE_SECONDS: "2",
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: npx does not pass SIGTERM on, so the whole group is stopped.
    detached: true,
  });
  stack.stdout?.on("data", (chunk) => (log += chunk));
  stack.stderr?.on("data", (chunk) => (log += chunk));
  const deadline = Date.now() + 60_000;
  while (!log.includes("Local control plane is up")) {
    if (stack.exitCode !== null || Date.now() > deadline)
      throw new Error(`local stack did not start:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

// Stops npx, tsx, the stack and its DynamoDB Local, and waits until the last of them is gone.
afterAll(async () => {
  const pgid = stack.pid;
  if (pgid === undefined || !groupAlive(pgid)) return;
  process.kill(-pgid, "SIGTERM");
  const deadline = Date.now() + 20_000;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
});

const webhook = (body: unknown, headers: Record<string, string>) =>
  fetch(`http://127.0.0.1:${port}/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

const cli = (...args: string[]) =>
  run("npx", ["tsx", "packages/cli/src/main.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), AUTOSCALER_CONFIG: "test/support/e2e.config.json" },
  });

describe("npm start + npm run cli (the README's walk-through)", () => {
  it("prints the webhook URL and the default secret", () => {
    expect(log).toContain(`http://127.0.0.1:${port}/webhook`);
    expect(log).toContain(DEFAULT_LOCAL_WEBHOOK_SECRET);
  });

  it("accepts the fixture with the right token and shows the job in status --json", async () => {
    const response = await webhook(docsJobHook(), {
      "x-gitlab-event": "Job Hook",
      "x-gitlab-token": DEFAULT_LOCAL_WEBHOOK_SECRET,
    });

    expect(response.status).toBe(200);
    const { stdout } = await cli("status", "--json");
    const status = JSON.parse(stdout);
    expect(status.jobs).toContainEqual(
      expect.objectContaining({ id: 1977, projectId: 380, status: "created" }),
    );
    expect(status.activeProjects).toContainEqual(expect.objectContaining({ id: 380 }));
  });

  it("answers a wrong token with 401 and records nothing", async () => {
    const response = await webhook(jobHook({ build_id: 5001 }), {
      "x-gitlab-event": "Job Hook",
      "x-gitlab-token": "x",
    });

    expect(response.status).toBe(401);
    const { stdout } = await cli("status", "--json");
    expect(JSON.parse(stdout).jobs.map((job: { id: number }) => job.id)).not.toContain(5001);
  });

  it("answers a push event 2xx and ignores it", async () => {
    const response = await webhook(
      { object_kind: "push" },
      {
        "x-gitlab-event": "Push Hook",
        "x-gitlab-token": DEFAULT_LOCAL_WEBHOOK_SECRET,
      },
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ignored" });
  });

  it("serves /healthz and a JSON 404 elsewhere", async () => {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    const missing = await fetch(`http://127.0.0.1:${port}/nope`);

    expect(await health.json()).toMatchObject({ status: "ok" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: "not_found" });
  });

  it("prints a human-readable status without --json", async () => {
    // Its own job (a later status of the same fixture job is just as good), whatever ran before.
    await webhook(docsJobHook(), {
      "x-gitlab-event": "Job Hook",
      "x-gitlab-token": DEFAULT_LOCAL_WEBHOOK_SECRET,
    });

    const { stdout } = await cli("status");

    expect(stdout).toMatch(/Jobs:\s+\d+/);
    expect(stdout).toMatch(/1977\s+380\s+created/);
  });

  it("runs an enqueued job to success on a runner the scaler launched, with no hand steps", async () => {
    const { stdout } = await cli(
      "enqueue",
      "--project",
      "7",
      "--tags",
      "linux,docker",
      "--duration",
      "1",
      "--json",
    );
    const [job] = JSON.parse(stdout).jobs as { id: number }[];

    const deadline = Date.now() + 30_000;
    let status: {
      jobs: { id: number; status: string }[];
      runners: { state: string; gitlabRunnerId: number }[];
    };
    do {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = JSON.parse((await cli("status", "--json")).stdout);
    } while (
      status.jobs.find((candidate) => candidate.id === job!.id)?.status !== "success" &&
      Date.now() < deadline
    );

    expect(status.jobs.find((candidate) => candidate.id === job!.id)).toMatchObject({
      status: "success",
    });
    const state = (await (await fetch(`${(await health()).gitlabDoubleUrl}/-/state`)).json()) as {
      jobs: { id: number; runnerId: number }[];
    };
    const ranOn = state.jobs.find((candidate) => candidate.id === job!.id)?.runnerId;
    expect(ranOn).toEqual(expect.any(Number));
  }, 60_000);

  it("holds a drained pool's jobs until it is undrained", async () => {
    await cli("drain", "--pool", "linux-arm");
    const { stdout } = await cli("enqueue", "--tags", "arm64", "--duration", "1", "--json");
    const [job] = JSON.parse(stdout).jobs as { id: number }[];
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const held = JSON.parse((await cli("status", "--json")).stdout);

    await cli("drain", "--pool", "linux-arm", "--undo");
    const deadline = Date.now() + 20_000;
    let status = held;
    while (
      status.jobs.find((candidate: { id: number }) => candidate.id === job!.id)?.status !==
        "success" &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = JSON.parse((await cli("status", "--json")).stdout);
    }

    expect(held.jobs.find((candidate: { id: number }) => candidate.id === job!.id)?.status).toBe(
      "pending",
    );
    expect(held.runners).toEqual([]);
    expect(status.jobs.find((candidate: { id: number }) => candidate.id === job!.id)?.status).toBe(
      "success",
    );
  }, 60_000);

  it("says what a reaper pass would do without doing it", async () => {
    const { stdout } = await cli("reap", "--dry-run");

    expect(stdout).toMatch(/the reaper would do/);
  });

  it("leaves nothing behind once the work is done: no runner, no GitLab runner, no slot", async () => {
    // Registrations the earlier cases' jobs left for the next jobs.
    const keptBefore = JSON.parse((await cli("status", "--json")).stdout).registrations.length;
    const { stdout } = await cli(
      "enqueue",
      "--tags",
      "linux",
      "--duration",
      "1",
      "--count",
      "3",
      "--json",
    );
    const ids = (JSON.parse(stdout).jobs as { id: number }[]).map((job) => job.id);

    const deadline = Date.now() + 40_000;
    let status: {
      jobs: { id: number; status: string }[];
      runners: unknown[];
      registrations: { gitlabRunnerId: number; state: string }[];
      slotsInUse: number;
    };
    let gitlabRunners: { id: number }[];
    do {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = JSON.parse((await cli("status", "--json")).stdout);
      gitlabRunners = (
        (await (await fetch(`${(await health()).gitlabDoubleUrl}/-/state`)).json()) as {
          runners: { id: number }[];
        }
      ).runners;
      const done = ids.every(
        (id) => status.jobs.find((job) => job.id === id)?.status === "success",
      );
      if (done && status.runners.length === 0 && gitlabRunners.length === kept(status).length)
        break;
    } while (Date.now() < deadline);

    expect(ids.map((id) => status.jobs.find((job) => job.id === id)?.status)).toEqual([
      "success",
      "success",
      "success",
    ]);
    expect(status.runners).toEqual([]);
    expect(status.slotsInUse).toBe(0);
    // The GitLab runners left are the registrations kept, free, for the next jobs: no more
    // than ran at once.
    expect(gitlabRunners.map((runner) => runner.id).sort()).toEqual(kept(status).sort());
    expect(status.registrations.every((registration) => registration.state === "free")).toBe(true);
    expect(status.registrations.length).toBeLessThanOrEqual(keptBefore + 3);
  }, 60_000);
});

const kept = (status: { registrations: { gitlabRunnerId: number }[] }) =>
  status.registrations.map((registration) => registration.gitlabRunnerId);

const health = async () =>
  (await fetch(`http://127.0.0.1:${port}/healthz`)).json() as Promise<{ gitlabDoubleUrl: string }>;
