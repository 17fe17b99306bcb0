import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDemandStore, DynamoRunnerStore, isFinished, loadConfigFile } from "@ger/core";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { Fault } from "../src/gitlab-double/faults";
import { freePort, type LocalStack, loadLocalSettings, startLocalStack } from "../src/index";
import { CHAOS, chaoticDeliveries } from "./support/chaotic-deliveries";
import { type PersistentWorld, startPersistentWorld } from "./support/persistent-world";
import { skippableClock } from "./support/skippable-clock";

const CONFIG_FILE = "test/support/e2e.config.json";
const TABLE_NAME = "chaos";
/** Tags for one pool or the other; docker jobs are routed to linux-arm, but both pools run them. */
const TAGS = [["linux", "arm64"], ["amd64"], [], ["docker", "amd64"], ["docker"]];
const PROJECTS = [21, 22, 23];
/** This long with no job moving while some wait: the world's clock moves on (see below). */
const STALL_MS = 6_000;

/**
 * GitLab answers 5xx to a few calls of each kind the control plane makes (a retry may get one too).
 * A runner GitLab may or may not have created (POST /user/runners) is resumed only a minute later:
 * that fault comes before the restart, whose outage outlasts the minute.
 */
const gitlabFaults = ({ creation }: { creation: boolean }): Fault[] => [
  ...(creation
    ? [{ method: "POST", path: /^\/api\/v4\/user\/runners$/, status: 500, remaining: 2 }]
    : []),
  { method: "GET", path: /^\/api\/v4\/projects\/\d+\/jobs\/\d+$/, status: 502, remaining: 4 },
  { method: "GET", path: /^\/api\/v4\/projects\/\d+\/jobs$/, status: 503, remaining: 4 },
  { method: "GET", path: /^\/api\/v4\/runners\/all$/, status: 500, remaining: 3 },
  { method: "GET", path: /^\/api\/v4\/runners\/\d+$/, status: 502, remaining: 3 },
  { method: "DELETE", path: /^\/api\/v4\/runners\/\d+$/, status: 503, remaining: 3 },
];

/** Every counter of the capacity ledger that is not back at zero. */
const slotsInUse = (ledger: object): string[] =>
  Object.entries(ledger).flatMap(([counter, value]) =>
    typeof value === "number"
      ? value === 0
        ? []
        : [`${counter}: ${value}`]
      : Object.entries(value as Record<string, number>).flatMap(([key, inUse]) =>
          inUse === 0 ? [] : [`${counter} ${key}: ${inUse}`],
        ),
  );

const waitFor = async (condition: () => boolean | Promise<boolean>, seconds: number) => {
  const deadline = Date.now() + seconds * 1000;
  while (!(await condition()) && Date.now() < deadline) await sleep(200);
  return condition();
};

const clock = skippableClock();
let dataDir: string | undefined;
let world: PersistentWorld | undefined;
let stack: LocalStack | undefined;
let sampler: NodeJS.Timeout | undefined;

afterAll(async () => {
  clearInterval(sampler);
  await stack?.stop();
  await world?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The stack's table as an operator reads it, through the stack's own key. */
const readStore = async (current: LocalStack) => {
  const client = new DynamoDBClient({
    endpoint: current.dynamodbEndpoint,
    ...current.dynamodbClientSettings,
  });
  const documents = DynamoDBDocumentClient.from(client);
  const runners = new DynamoRunnerStore(documents, TABLE_NAME);
  try {
    const [jobs, live, ledger, registrations] = await Promise.all([
      new DynamoDemandStore(documents, TABLE_NAME).listJobs(clock.now()),
      runners.listLive(),
      runners.ledger(),
      runners.listRegistrations(),
    ]);
    return { jobs, live, ledger, registrations };
  } finally {
    client.destroy();
  }
};

describe("chaos (local stack: DynamoDB Local on disk, GitLab double, simulated EC2)", () => {
  it("runs every job of a burst through lost, repeated and reordered hooks, GitLab 5xx and a restart, and ends with nothing left", async () => {
    // Prepare
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
    // The handlers' logs (each pass's report) are held, and shown only if the test fails.
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "INFO");
    const config = await loadConfigFile(CONFIG_FILE);
    dataDir = await mkdtemp(join(tmpdir(), "chaos-dynamodb-"));
    const port = await freePort();
    // Both stacks: the same port (GitLab's hook URL), table and data directory.
    const settings = loadLocalSettings({
      PORT: String(port),
      TABLE_NAME,
      DYNAMODB_DATA_DIR: dataDir,
      SIM_BOOT_DELAY_MS: "200",
      SIM_CHECK_INTERVAL_MS: "100",
      SCALER_SCHEDULE_SECONDS: "2",
      REAPER_SCHEDULE_SECONDS: "1",
      AUTOSCALER_CONFIG: CONFIG_FILE,
    });
    world = await startPersistentWorld({
      clock,
      webhookUrl: `http://127.0.0.1:${port}/webhook`,
      secretToken: settings.WEBHOOK_SECRET,
      bootDelayMs: settings.SIM_BOOT_DELAY_MS,
      checkIntervalMs: settings.SIM_CHECK_INTERVAL_MS,
    });
    const { double, ec2, tokens } = world;
    double.webhooks!.policy = chaoticDeliveries();

    const gitlabJobs = () => [...double.model.jobs.values()];
    const withStatus = (status: string) => gitlabJobs().filter((job) => job.status === status);
    let enqueued = 0;
    const enqueue = (count: number) => {
      for (let i = 0; i < count; i++, enqueued++) {
        double.model.enqueue({
          projectId: PROJECTS[enqueued % PROJECTS.length]!,
          tags: TAGS[enqueued % TAGS.length]!,
          name: `${CHAOS[enqueued % CHAOS.length]}-${enqueued}`,
          durationSeconds: 2,
        });
      }
    };
    const liveInstances = () =>
      [...ec2.instances.values()].filter((instance) => instance.state !== "terminated");
    const peaks = new Map<string, number>();
    const sample = () => {
      const live = liveInstances();
      const counts = [
        ["all", live.length],
        ...config.pools.map(
          (pool) => [pool.name, live.filter((i) => i.pool === pool.name).length] as const,
        ),
      ] as const;
      for (const [name, count] of counts) peaks.set(name, Math.max(peaks.get(name) ?? 0, count));
    };
    sampler = setInterval(sample, 25);
    /**
     * Until `done`: where no job moves for a while though some wait, time moves on for the world
     * (a minute, more than the reaper waits for EC2's listing to agree that an instance is gone),
     * rather than the test waiting for it.
     */
    const runUntil = async (done: () => boolean, seconds: number) => {
      const deadline = Date.now() + seconds * 1000;
      const moves = () => gitlabJobs().map((job) => job.status);
      let last = moves();
      let lastMove = Date.now();
      while (!done() && Date.now() < deadline) {
        await sleep(200);
        if (!isDeepStrictEqual(moves(), last)) {
          last = moves();
          lastMove = Date.now();
        } else if (Date.now() - lastMove > STALL_MS) {
          clock.skip(61);
          lastMove = Date.now();
        }
      }
      return done();
    };
    const endState = async (current: LocalStack) => {
      const store = await readStore(current);
      // Registrations kept for the next jobs on purpose: free, with a token GitLab takes waiting.
      const retained = new Set(
        store.registrations
          .filter(
            (kept) =>
              kept.state === "free" &&
              double.model.runnerByToken(tokens.waiting.get(kept.tokenName))?.id ===
                kept.gitlabRunnerId,
          )
          .map((kept) => kept.gitlabRunnerId),
      );
      return {
        gitlabJobsNotSucceeded: gitlabJobs()
          .filter((job) => job.status !== "success")
          .map((job) => `${job.name}: ${job.status}`),
        // What the control plane still counts as demand, or closed otherwise than GitLab did. A
        // job whose last hooks were lost after its `created` or `running` one stays so in the
        // table: reconciliation reads back only the jobs it believes pending (a known gap).
        storedJobsPending: store.jobs
          .filter((job) => job.status === "pending")
          .map((job) => job.jobId),
        storedJobsNotSucceeded: store.jobs
          .filter((job) => isFinished(job.status) && job.status !== "success")
          .map((job) => `${job.jobId}: ${job.status}`),
        liveInstances: liveInstances().map((i) => `${i.instanceId}: ${i.state}`),
        gitlabRunners: [...double.model.runners.values()]
          .filter(
            (runner) =>
              runner.description.startsWith(`${config.deployment}/`) && !retained.has(runner.id),
          )
          .map((runner) => runner.description),
        storedTokens: tokens.stored - retained.size,
        liveRunnerRecords: store.live.map((runner) => `${runner.name}: ${runner.state}`),
        slotsInUse: slotsInUse(store.ledger),
      };
    };
    const idle: Awaited<ReturnType<typeof endState>> = {
      gitlabJobsNotSucceeded: [],
      storedJobsPending: [],
      storedJobsNotSucceeded: [],
      liveInstances: [],
      gitlabRunners: [],
      storedTokens: 0,
      liveRunnerRecords: [],
      slotsInUse: [],
    };
    const reaperPasses = () =>
      [...double.apiCalls].find(([route]) => route.includes("runners\\/all"))?.[1] ?? 0;

    // Act: a burst beyond a pool's max_instances, under chaos; the control plane is killed while
    // it serves it.
    stack = await startLocalStack(settings, { clock, edges: world.edges });
    double.faults.push(...gitlabFaults({ creation: true }));
    enqueue(18);
    const inFlight = await waitFor(
      () => withStatus("running").length >= 4 && withStatus("pending").length >= 1,
      60,
    );
    const finishedBeforeKill = withStatus("success").length;
    await stack.stop();
    stack = undefined;
    // While it is down: new jobs, whose hooks reach no one, and running jobs end unheard of.
    enqueue(4);
    const finishedWhileDown = await waitFor(
      () => withStatus("success").length > finishedBeforeKill,
      30,
    );
    // The outage outlasts the reaper's lease (which a killed pass may hold) and the scaler's wait
    // before it resumes a launch that a killed pass left half done.
    clock.skip(150);
    stack = await startLocalStack(settings, { clock, edges: world.edges });
    double.faults.push(...gitlabFaults({ creation: false }));
    enqueue(6);
    const allSucceeded = await runUntil(() => withStatus("success").length === enqueued, 120);

    // Then the world stays idle, long enough for every grace period of the reaper, in steps.
    let state = await endState(stack);
    for (let round = 0; round < 4 && !isDeepStrictEqual(state, idle); round++) {
      clock.skip(601);
      const passes = reaperPasses();
      const current = stack;
      await waitFor(
        async () =>
          reaperPasses() >= passes + 2 && isDeepStrictEqual(await endState(current), idle),
        30,
      );
      state = await endState(stack);
    }
    clearInterval(sampler);

    // Assess
    expect({ inFlight, finishedWhileDown, allSucceeded }).toEqual({
      inFlight: true,
      finishedWhileDown: true,
      allSucceeded: true,
    });
    expect(state).toEqual(idle);
    expect(peaks.get("all")).toBeLessThanOrEqual(config.max_instances);
    for (const pool of config.pools)
      expect(peaks.get(pool.name) ?? 0).toBeLessThanOrEqual(pool.max_instances);
  }, 300_000);
});
