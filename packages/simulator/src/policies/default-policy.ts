import {
  GitLabApiError,
  handleInstanceEvent,
  InMemoryDemandStore,
  InMemoryJobDurations,
  InMemoryLease,
  InMemoryPoolControls,
  InMemoryRunnerStore,
  jobWakesScaler,
  nextRevisitSeconds,
  ProjectGroups,
  poolSettingsAt,
  progressOfJob,
  RegistrationCaps,
  receiveJobWebhook,
  runReaperInvocation,
  runScalerInvocation,
  StaticWebhookCredentials,
  TOKEN_POLL_DELAYS_SECONDS,
} from "@ger/core";
import type {
  AutoscalerConfig,
  DemandStore,
  InstanceEvent,
  JobProgress,
  Registration,
  ScalerDependencies,
  ScalerReport,
  WebhookDependencies,
} from "@ger/core/types";
import { Crash, CrashPlanner, crashable, type InvocationFate } from "../faults/crash";
import type { FaultyGitlab } from "../faults/faulty-gitlab";
import { type LambdaFunction, metered } from "../world/control-plane-meters";
import { countedByPurpose } from "../world/gitlab-call-purposes";
import { startRunnerProcess } from "../world/gitlab-runner-process";
import { ThrottlingException } from "../world/parameter-store";
import type { ControlPlane, PolicyFactory, World } from "../world/world";
import { RequestLimitExceeded } from "../world/world-compute";
import type { WorldInstance } from "../world/world-instance";

const WEBHOOK_TOKEN = "simulated-webhook-secret";
const WEBHOOK_URL = "https://autoscaler.example.com/webhook";
/** EventBridge's retry policy for the EC2-event target (infra/functions.ts), backing off. */
const EVENT_RETRIES = 8;
const EVENT_RETRY_DELAY_S = 1;

type ControlPlaneDependencies = ScalerDependencies & Parameters<typeof runReaperInvocation>[0];

/** What one invocation reaches: the ports, the same for every function. */
interface Ports {
  readonly deps: ControlPlaneDependencies;
  readonly webhook: WebhookDependencies;
}

/** The ports, reaching GitLab through `gitlabApi`. */
const withGitlab = ({ deps, webhook }: Ports, gitlabApi: FaultyGitlab): Ports => ({
  deps: {
    ...deps,
    jobsApi: gitlabApi,
    registry: gitlabApi,
    ...(deps.webhook && { webhook: { ...deps.webhook, hooks: gitlabApi } }),
  },
  webhook,
});

/** Every port of `ports` counted against the invocation's fate (the crash fault). */
const crashablePorts = (
  { deps, webhook }: Ports,
  gitlabApi: FaultyGitlab,
  fate: InvocationFate,
): Ports => {
  const gitlab = crashable(gitlabApi, fate);
  const demand = crashable(deps.demand, fate);
  const durations = crashable(deps.durations, fate);
  return {
    deps: {
      ...deps,
      demand,
      durations,
      runners: crashable(deps.runners, fate),
      lease: crashable(deps.lease, fate),
      poolControls: crashable(deps.poolControls, fate),
      jobsApi: gitlab,
      registry: gitlab,
      ...(deps.webhook && {
        webhook: { ...deps.webhook, hooks: crashable(deps.webhook.hooks, fate) },
      }),
      tokens: crashable(deps.tokens, fate),
      compute: crashable(deps.compute, fate),
    },
    webhook: {
      ...webhook,
      demand,
      durations,
      credentials: crashable(webhook.credentials, fate),
    },
  };
};

/**
 * This project's control plane, unchanged: the webhook's handler, the scaler woken by the table's
 * stream and its schedule, the reaper with reconciliation, the EC2-event handler, all over the
 * in-memory adapters, metered as DynamoDB would bill them. GitLab is reached through the world's
 * faults; with the crash fault, an invocation may die between two calls to its ports.
 */
export const defaultPolicy: PolicyFactory = (world: World): ControlPlane => {
  const { time, meters, gitlabApi: gitlab, compute, config, settings } = world;
  const tokens = world.parameterStore;
  const runners = metered(new InMemoryRunnerStore(), meters, { release: { write: 4 } });
  const stream = new SimulatedStream(world, (progress) => scale(progress));
  const stored = new InMemoryDemandStore();
  const demand = streamed(metered(stored, meters), stored, stream);
  const durations = metered(new InMemoryJobDurations(), meters);
  let runnerCount = 0;
  const deps: ControlPlaneDependencies = {
    config,
    demand,
    durations,
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
    registrationCaps: new RegistrationCaps(),
    projectGroups: new ProjectGroups(),
  };
  const ports: Ports = {
    deps,
    webhook: {
      demand,
      durations,
      credentials: new StaticWebhookCredentials({ token: WEBHOOK_TOKEN }),
      clock: time,
    },
  };
  const crashes = new CrashPlanner(world.faults);
  /**
   * A failed invocation, as in Lambda: the error ends it; the caller says what is retried. A
   * crashed one has failed, whatever the core made of the calls that failed after the crash.
   */
  const invoke = async (
    fn: LambdaFunction,
    work: (ports: Ports) => Promise<unknown>,
  ): Promise<boolean> => {
    meters.invoked(fn);
    const fate = crashes.enabled ? crashes.fate(fn) : undefined;
    const api = countedByPurpose(gitlab, fn, meters.gitlabCallsByPurpose);
    let failed = false;
    try {
      await work(fate ? crashablePorts(ports, api, fate) : withGitlab(ports, api));
    } catch (error) {
      const expected =
        error instanceof GitLabApiError ||
        error instanceof RequestLimitExceeded ||
        error instanceof ThrottlingException ||
        error instanceof Crash;
      if (!expected && !fate?.crashed) throw error;
      failed = true;
    }
    if (fate && crashes.settle(fn, fate)) failed = true;
    if (failed) meters.failedInvocations += 1;
    return !failed;
  };
  // Lambda retries a failed stream batch until it succeeds (the records stay in the stream).
  const scaled = (report: ScalerReport) => {
    for (const pool of report.pools) if (pool.registrationLimited) meters.starvedByScopeLimit += 1;
  };
  const scale = async (progress: readonly JobProgress[]) => {
    const pass = async (p: Ports) => scaled((await runScalerInvocation(p.deps, progress)).report);
    if (!(await invoke("scaler", pass)))
      for (const item of progress.length > 0 ? progress : [undefined]) stream.record(item);
  };
  const start = time.nowMillis;
  // A scheduled invocation runs further passes while one asks to be revisited within its window
  // (the Lambda handler sleeps in between; each pass is metered as an invocation of its own).
  const scheduledPass = async (startedAt: Date): Promise<void> => {
    let revisit: number | undefined;
    await invoke("scaler", async (p) => {
      const { report } = await runScalerInvocation(p.deps, []);
      scaled(report);
      revisit = nextRevisitSeconds(report, startedAt, time.now());
    });
    if (revisit !== undefined) time.after(revisit * 1000, () => scheduledPass(startedAt));
  };
  world.every(settings.scalerScheduleS, start, async () => {
    meters.schedulerInvocations += 1;
    await scheduledPass(time.now());
  });
  // EventBridge Scheduler's rate(1 minute) runs at its own offset: half a minute after the scaler.
  world.every(settings.reaperScheduleS, start + (settings.reaperScheduleS * 1000) / 2, async () => {
    meters.schedulerInvocations += 1;
    await invoke("reaper", (p) => runReaperInvocation(p.deps));
  });
  // EventBridge retries a failed delivery (infra: up to 8 times); the reaper covers the rest.
  const deliver = async (event: InstanceEvent, attempt = 0): Promise<void> => {
    const done = await invoke("instanceEvents", (p) => handleInstanceEvent(p.deps, event));
    if (!done && attempt < EVENT_RETRIES)
      time.after(EVENT_RETRY_DELAY_S * 1000 * 2 ** attempt, () => deliver(event, attempt + 1));
  };

  // As the user-data: ask for the token, again after each of its delays, then power off.
  const bootRunner = (instance: WorldInstance, asked = 0): void => {
    let token: string | undefined;
    try {
      token = tokens.take(instance.instanceId);
    } catch (error) {
      // Throttled: the user-data's loop asks again, as for a token not granted yet.
      if (!(error instanceof ThrottlingException)) throw error;
    }
    if (!token) {
      const last = asked + 1 >= TOKEN_POLL_DELAYS_SECONDS.length;
      time.after((TOKEN_POLL_DELAYS_SECONDS[asked] ?? 0) * 1000, () =>
        last ? compute.powerOff(instance) : bootRunner(instance, asked + 1),
      );
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
    // A failed webhook answers GitLab 5xx, and GitLab does not send that hook again.
    async onJobHook(body, _job, delivery) {
      const request = {
        headers: {
          "content-type": "application/json",
          "x-gitlab-event": "Job Hook",
          "x-gitlab-token": WEBHOOK_TOKEN,
          "idempotency-key": delivery.idempotencyKey,
        },
        body: body(),
      };
      await invoke("webhook", (p) => receiveJobWebhook(request, p.webhook));
    },
    onInstanceStateChange: (instanceId, state) =>
      deliver({ kind: "state_change", instanceId, state }),
    onSpotInterruption: (instanceId) => deliver({ kind: "spot_interruption", instanceId }),
    boot: (instance) => bootRunner(instance),
    leftovers: async () => {
      const retained = await retainedRegistrations(
        world,
        config,
        await runners.listRegistrations(),
      );
      return {
        gitlabRunners: runnersOf(world, config.deployment) - retained,
        storedTokens: tokens.stored - retained,
        retainedRegistrations: retained,
        ledgerSlots: (await runners.ledger()).global,
        warmInstances: config.pools.reduce(
          (sum, pool) => sum + poolSettingsAt(pool, time.now()).idleCount,
          0,
        ),
      };
    },
  };
};

/**
 * Registrations kept on purpose: free, within their pool's registration_idle_time, their GitLab
 * runner registered and their reset token waiting. Anything else of theirs is a leak.
 */
const retainedRegistrations = async (
  world: World,
  config: AutoscalerConfig,
  registrations: readonly Registration[],
): Promise<number> => {
  const now = world.time.nowMillis;
  return registrations.filter((kept) => {
    const pool = config.pools.find((candidate) => candidate.name === kept.pool);
    return (
      pool !== undefined &&
      kept.state === "free" &&
      now - Date.parse(kept.freeSince) <= pool.runner.registration_idle_time * 1000 &&
      world.model.runners.has(kept.gitlabRunnerId) &&
      world.parameterStore.waitsUnder(kept.tokenName)
    );
  }).length;
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
 * record; so is an annotation, with the job's new image (the scaler's tags are writes to pending
 * jobs; a retirement marking a failed job interrupted, or a claim of its retry, is runner
 * progress, as DynamoDB's MODIFY record of it is).
 */
const streamed = (
  store: DemandStore,
  images: Pick<InMemoryDemandStore, "peek">,
  stream: SimulatedStream,
): DemandStore => {
  const recordImage = (jobId: number) => {
    const image = images.peek(jobId);
    stream.record(image && progressOfJob(image));
  };
  return {
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
      recordImage(jobId);
    },
    claimJobRetry: async (jobId, now) => {
      const claimed = await store.claimJobRetry(jobId, now);
      if (claimed) recordImage(jobId);
      return claimed;
    },
    settleJobRetry: async (jobId, settlement) => {
      await store.settleJobRetry(jobId, settlement);
      recordImage(jobId);
    },
    listRetriesDue: (now) => store.listRetriesDue(now),
    listPipelineDemand: (now, since) => store.listPipelineDemand(now, since),
    notePipelineHalt: (halt) => store.notePipelineHalt(halt),
    liftPipelineHalt: (retry) => store.liftPipelineHalt(retry),
    listActiveProjects: (since) => store.listActiveProjects(since),
  };
};
