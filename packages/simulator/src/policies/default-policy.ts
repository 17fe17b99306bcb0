import {
  GitLabApiError,
  handleInstanceEvent,
  InMemoryDemandStore,
  InMemoryLease,
  InMemoryPoolControls,
  InMemoryRunnerStore,
  InMemoryTokenDrop,
  jobWakesScaler,
  poolSettingsAt,
  progressOfJob,
  receiveJobWebhook,
  runReaperInvocation,
  runScalerInvocation,
  StaticWebhookCredentials,
} from "@ger/core";
import type { DemandStore, JobProgress, ScalerDependencies } from "@ger/core/types";
import { type LambdaFunction, metered } from "../world/control-plane-meters";
import { startRunnerProcess } from "../world/gitlab-runner-process";
import type { ControlPlane, PolicyFactory, World } from "../world/world";
import { RequestLimitExceeded } from "../world/world-compute";
import type { WorldInstance } from "../world/world-instance";

const WEBHOOK_TOKEN = "simulated-webhook-secret";
const WEBHOOK_URL = "https://autoscaler.example.com/webhook";
/** How long a booted instance looks for its token before it gives up (user-data: 30 tries, 2 s apart). */
const TOKEN_WAIT_S = 60;
const TOKEN_RETRY_S = 2;
/** EventBridge's retry policy for the EC2-event target (infra/functions.ts), backing off. */
const EVENT_RETRIES = 8;
const EVENT_RETRY_DELAY_S = 1;

/**
 * This project's control plane, unchanged: the webhook's handler, the scaler woken by the table's
 * stream and its schedule, the reaper with reconciliation, the EC2-event handler, all over the
 * in-memory adapters, metered as DynamoDB would bill them.
 */
export const defaultPolicy: PolicyFactory = (world: World): ControlPlane => {
  const { time, meters, gitlab, compute, config, settings } = world;
  const tokens = new InMemoryTokenDrop();
  const runners = metered(new InMemoryRunnerStore(), meters, { release: { write: 4 } });
  const stream = new SimulatedStream(world, (progress) => scale(progress));
  const demand = streamed(metered(new InMemoryDemandStore(), meters), stream);
  let runnerCount = 0;
  const deps: ScalerDependencies & Parameters<typeof runReaperInvocation>[0] = {
    config,
    demand,
    runners,
    lease: metered(new InMemoryLease(), meters),
    poolControls: metered(new InMemoryPoolControls(), meters),
    jobsApi: gitlab,
    registry: gitlab,
    webhook: { url: WEBHOOK_URL, hooks: gitlab },
    tokens,
    compute,
    clock: time,
    // Names in creation order, so a seed gives the same run.
    newRunnerName: (pool) => `${pool}-${(runnerCount++).toString(16).padStart(12, "0")}`,
  };
  const webhook = {
    demand,
    credentials: new StaticWebhookCredentials({ token: WEBHOOK_TOKEN }),
    clock: time,
  };
  /** A failed invocation, as in Lambda: the error ends it; the caller says what is retried. */
  const invoke = async (fn: LambdaFunction, work: () => Promise<unknown>): Promise<boolean> => {
    meters.invoked(fn);
    try {
      await work();
      return true;
    } catch (error) {
      if (!(error instanceof GitLabApiError) && !(error instanceof RequestLimitExceeded))
        throw error;
      meters.failedInvocations += 1;
      return false;
    }
  };
  // Lambda retries a failed stream batch until it succeeds (the records stay in the stream).
  const scale = async (progress: readonly JobProgress[]) => {
    if (!(await invoke("scaler", () => runScalerInvocation(deps, progress))))
      for (const item of progress.length > 0 ? progress : [undefined]) stream.record(item);
  };
  const start = time.nowMillis;
  world.every(settings.scalerScheduleS, start, async () => {
    meters.schedulerInvocations += 1;
    await invoke("scaler", () => runScalerInvocation(deps, []));
  });
  // EventBridge Scheduler's rate(1 minute) runs at its own offset: half a minute after the scaler.
  world.every(settings.reaperScheduleS, start + (settings.reaperScheduleS * 1000) / 2, async () => {
    meters.schedulerInvocations += 1;
    await invoke("reaper", () => runReaperInvocation(deps));
  });

  const bootRunner = (instance: WorldInstance, waitedS = 0): void => {
    const token = tokens.take(instance.instanceId);
    if (!token) {
      if (waitedS >= TOKEN_WAIT_S) compute.powerOff(instance);
      else time.after(TOKEN_RETRY_S * 1000, () => bootRunner(instance, waitedS + TOKEN_RETRY_S));
      return;
    }
    startRunnerProcess(world, instance, {
      token,
      waitTimeoutS: instance.waitTimeoutS,
      maxJobs: 1,
      checkIntervalS: settings.checkIntervalS,
      onExit: () => compute.powerOff(instance),
    });
  };

  return {
    async onJobHook(body) {
      meters.invoked("webhook");
      await receiveJobWebhook(
        {
          headers: {
            "content-type": "application/json",
            "x-gitlab-event": "Job Hook",
            "x-gitlab-token": WEBHOOK_TOKEN,
          },
          body: body(),
        },
        webhook,
      );
    },
    async onInstanceStateChange(instanceId, state) {
      // EventBridge retries a failed delivery (infra: up to 8 times); the reaper covers the rest.
      const deliver = async (attempt: number): Promise<void> => {
        const done = await invoke("instanceEvents", () =>
          handleInstanceEvent(deps, { kind: "state_change", instanceId, state }),
        );
        if (!done && attempt < EVENT_RETRIES)
          time.after(EVENT_RETRY_DELAY_S * 1000 * 2 ** attempt, () => deliver(attempt + 1));
      };
      await deliver(0);
    },
    boot: (instance) => bootRunner(instance),
    leftovers: async () => ({
      gitlabRunners: runnersOf(world, config.deployment),
      storedTokens: tokens.stored,
      ledgerSlots: (await runners.ledger()).global,
      warmInstances: config.pools.reduce(
        (sum, pool) => sum + poolSettingsAt(pool, time.now()).idleCount,
        0,
      ),
    }),
  };
};

/** GitLab runners whose description names the deployment. */
export const runnersOf = (world: World, deployment: string): number => {
  const prefix = `${deployment}/`;
  let count = 0;
  for (const runner of world.model.runners.values())
    if (runner.description.startsWith(prefix)) count += 1;
  return count;
};

/**
 * The table's stream, as Lambda reads it for the scaler: a record for every write that changed a
 * job the filter lets through, batched for `streamBatchWindowS`, one batch at a time.
 */
class SimulatedStream {
  private batch: JobProgress[] = [];
  private scheduled = false;

  constructor(
    private readonly world: World,
    private readonly deliver: (progress: readonly JobProgress[]) => Promise<void>,
  ) {}

  record(progress?: JobProgress): void {
    if (progress) this.batch.push(progress);
    if (this.scheduled) return;
    this.scheduled = true;
    this.world.time.after(this.world.settings.streamBatchWindowS * 1000, async () => {
      const batch = this.batch;
      this.batch = [];
      this.scheduled = false;
      await this.deliver(batch);
    });
  }
}

/**
 * The demand store with its stream: a recorded job that is demand or runner progress is a stream
 * record; so is an annotation (the scaler's tags and launch counts are writes to pending jobs).
 */
const streamed = (store: DemandStore, stream: SimulatedStream): DemandStore => ({
  recordJobEvent: async (event, receivedAt, annotations) => {
    const outcome = await store.recordJobEvent(event, receivedAt, annotations);
    if (outcome.kind === "recorded" && jobWakesScaler(outcome.record))
      stream.record(progressOfJob(outcome.record));
    return outcome;
  },
  noteProjectActivity: (projectId, at) => store.noteProjectActivity(projectId, at),
  listJobs: (now) => store.listJobs(now),
  listPendingJobs: (now) => store.listPendingJobs(now),
  annotateJob: async (jobId, annotations) => {
    await store.annotateJob(jobId, annotations);
    stream.record();
  },
  claimJobRetry: (jobId) => store.claimJobRetry(jobId),
  listActiveProjects: (since) => store.listActiveProjects(since),
});
