import {
  createRunnerRequest,
  GitLabApiError,
  needsProjectGroups,
  parseJobHook,
  poolSettingsAt,
  routeJob,
  runnerDescription,
  runnerNameFromDescription,
  runnerScopeOf,
} from "@ger/core";
import type { ComputeInstance, GitlabJob, LaunchResult, PoolConfig } from "@ger/core/types";
import { CONTROL_PLANE_PRICES } from "../world/control-plane-meters";
import { startRunnerProcess } from "../world/gitlab-runner-process";
import type { ControlPlane, World } from "../world/world";
import { RequestLimitExceeded } from "../world/world-compute";
import type { WorldInstance } from "../world/world-instance";
import { runnersOf } from "./default-policy";

// terraform-aws-github-runner (github-aws-runners/terraform-aws-github-runner at 4475534a9,
// v7.11.0-6), with ephemeral runners, transposed to GitLab: a Job Hook `pending` is its
// `workflow_job` `queued`, a runner made with POST /user/runners its JIT config. Paths below are
// that repository's: its behaviour is rebuilt from its docs, its Terraform defaults and what its
// code is seen to do (cited by line); none of its code is copied. Short names: scale-up.ts,
// scale-down.ts and github-runner.ts are in lambdas/functions/control-plane/src/scale-runners/,
// runners.ts and runner-config.ts in lambdas/libs/compute-providers/aws/ec2/src/control-plane/,
// dispatch.ts and webhook/index.ts in lambdas/functions/webhook/src/.

/** Its defaults, where they are set. */
const MODULE = {
  /**
   * `delay_webhook_event` (variables.tf:649-652): "to give the available runners time to pick up
   * this build" (docs/index.md:41). Its docs advise 0 for ephemeral runners; the default stands.
   */
  delayWebhookEventS: 30,
  /** The queue's visibility timeout: the scale-up's timeout (main.tf:72, variables.tf:195-198). */
  visibilityTimeoutS: 30,
  /** `job_queue_retention_in_seconds` (variables.tf:654-657). */
  retentionS: 86_400,
  /** `lambda_event_source_mapping_batch_size` (modules/runners/variables.tf:861-864). */
  batchSize: 10,
  /** `scale_down_schedule_expression`: every five minutes, on the clock (variables.tf:91-94). */
  scaleDownEveryS: 300,
  /** `minimum_running_time_in_minutes` for linux (modules/runners/scale-down.tf:5-9). */
  minimumRunningTimeS: 300,
  /** `runner_boot_time_in_minutes` (variables.tf:103-106): unregistered after this, an orphan. */
  runnerBootTimeS: 300,
  /**
   * The instance's cleanup: `sleep 10` "to flush the cloud watch logs", then terminate-instances
   * (modules/runners/templates/start-runner.sh:91-113).
   */
  cleanupSleepS: 10,
} as const;

/**
 * Lambda sizes (variables.tf:171-175 webhook, whose size the dispatcher shares (main.tf:150);
 * :189-193 scale-up; :201-205 scale-down; arm64 by default, :896-899). The durations are ours,
 * assumed: virtual time has none.
 */
const LAMBDAS = {
  webhook: { memoryGb: 0.25, durationS: 0.05 },
  dispatcher: { memoryGb: 0.25, durationS: 0.05 },
  scaleUp: { memoryGb: 0.5, durationS: 1.5 },
  scaleDown: { memoryGb: 0.5, durationS: 1 },
} as const;

type Lambda = keyof typeof LAMBDAS;

/**
 * us-east-1 list prices not in CONTROL_PLANE_PRICES, from third-party tables (the AWS pages
 * were not retrievable): SQS standard $0.40 per million requests, EventBridge custom events
 * $1.00 per million (cloudburn.io, March 2026; factualminds.com, June 2026). Standard SSM
 * parameters at standard throughput cost nothing ("without additional cost", AWS CLI
 * put-parameter reference); JIT configs are under its 4,000-byte Advanced threshold
 * (lambdas/libs/aws-ssm-util/src/index.ts:106-125).
 */
const SQS_REQUEST_USD = 0.4 / 1e6;
const EVENTBRIDGE_EVENT_USD = 1 / 1e6;

/** run.sh --jitconfig has no timeout of its own: the runner waits for its one job for ever. */
const NO_WAIT_TIMEOUT_S = Number.POSITIVE_INFINITY;

interface QueuedJob {
  readonly jobId: number;
  readonly projectId: number;
  readonly sentAtMs: number;
}

interface RoutedMessage {
  readonly message: QueuedJob;
  readonly stillPending: boolean;
}

/** A control plane that prices its own services: the run's control-plane cost is its bill. */
export interface PricedControlPlane extends ControlPlane {
  costUsd(elapsedS: number): number;
}

/** What AWS or GitLab answers when a call fails; anything else is a bug and propagates. */
const isApiError = (error: unknown) =>
  error instanceof RequestLimitExceeded || error instanceof GitLabApiError;

/**
 * One ephemeral instance per job still pending when its event leaves the queue, capped by
 * max_instances; the instance ends itself after its job; a scale-down every five minutes removes
 * idle runners past their minimum running time.
 */
export const perJobPolicy = (world: World): PricedControlPlane => {
  const { time, meters, gitlab, compute, config, settings } = world;
  const invocations: Record<Lambda, number> = {
    webhook: 0,
    dispatcher: 0,
    scaleUp: 0,
    scaleDown: 0,
  };
  const visible: QueuedJob[] = [];
  /** The runner's config in SSM, by runner name, until its instance reads and deletes it. */
  const jitConfigs = new Map<string, string>();
  /** Tagged by one scale-down, terminated by the next (scale-down.ts:264-276, 313-330). */
  const orphans = new Set<string>();
  let launchCount = 0;
  let draining = false;

  const called = (api: string) => meters.otherCalls.set(api, (meters.otherCalls.get(api) ?? 0) + 1);
  const invoke = (fn: Lambda) => {
    invocations[fn] += 1;
  };

  const becomeVisible = (message: QueuedJob, afterS: number) =>
    time.after(afterS * 1000, () => {
      visible.push(message);
      // Lambda's poller takes what is visible at this instant (batching window 0), one batch at a
      // time (`scale_up_reserved_concurrent_executions` 1, variables.tf:159-162).
      if (draining) return;
      draining = true;
      time.after(0, drain);
    });

  const drain = async () => {
    while (visible.length > 0) {
      const batch = visible.splice(0, MODULE.batchSize);
      called("sqs:ReceiveMessage");
      const fresh = batch.filter((m) => time.nowMillis - m.sentAtMs <= MODULE.retentionS * 1000);
      const retry = await scaleUp(fresh);
      // ReportBatchItemFailures (modules/runners/scale-up.tf:96-103): Lambda deletes the rest; the
      // failures come back after the visibility timeout.
      if (retry.length < batch.length) called("sqs:DeleteMessageBatch");
      for (const message of retry) becomeVisible(message, MODULE.visibilityTimeoutS);
    }
    draining = false;
  };

  /** The scale-up lambda: the messages to retry. An error it does not catch fails the batch. */
  const scaleUp = async (batch: readonly QueuedJob[]): Promise<QueuedJob[]> => {
    invoke("scaleUp");
    const retry: QueuedJob[] = [];
    try {
      const byPool = new Map<PoolConfig, RoutedMessage[]>();
      for (const message of batch) {
        const routed = await routeMessage(message);
        if (routed === "unread") retry.push(message);
        else if (routed) byPool.set(routed.pool, [...(byPool.get(routed.pool) ?? []), routed]);
      }
      for (const [pool, group] of byPool) retry.push(...(await scaleUpPool(pool, group)));
      return retry;
    } catch (error) {
      if (!isApiError(error)) throw error;
      return [...batch];
    }
  };

  /**
   * `enable_job_queued_check` (on, as examples/ephemeral sets it): GET the job, as isJobQueued
   * does (scale-up.ts:227-246). A Job Hook has no tags (unlike the module's events, which its
   * dispatcher matches to a runner config, dispatch.ts:59-70), so the same read routes the job, as
   * GitLab would give it to a runner; a job no pool takes is dropped, as the dispatcher refuses it.
   * The module fails open when the check errs (:237-241); without tags there is nothing to route
   * by, so here the message is retried instead.
   */
  const routeMessage = async (message: QueuedJob) => {
    let job: GitlabJob | undefined;
    let groupIds: number[] | undefined;
    try {
      job = await gitlab.getJob(message.projectId, message.jobId);
      if (!job) return undefined;
      const facts = { tags: job.tagList, projectId: job.projectId };
      if (needsProjectGroups(config.pools, facts))
        groupIds = await gitlab.projectGroupIds(job.projectId);
    } catch (error) {
      if (error instanceof GitLabApiError) return "unread" as const;
      throw error;
    }
    const pool = routeJob(config.pools, {
      tags: job.tagList,
      projectId: job.projectId,
      ...(groupIds && { groupIds }),
    });
    return pool && { pool, message, stillPending: job.status === "pending" };
  };

  /**
   * One group (here a pool; the module groups by owner, scale-up.ts:148-181): DescribeInstances,
   * then `max(0, min(queued, maximum − current))` new runners (:259-278), the cap being the pool's
   * max_instances and the global one. Over the cap, the group's first messages are retried
   * (:280-304, `messages.splice(0, skipped)`), still-pending or not; so are as many as failed to
   * launch (:360-362).
   */
  const scaleUpPool = async (pool: PoolConfig, group: readonly RoutedMessage[]) => {
    const queued = group.filter((routed) => routed.stillPending).length;
    if (queued === 0) return [];
    const live = (await compute.listInstances()).filter(isUp);
    const poolLive = live.filter((instance) => instance.pool === pool.name).length;
    const room = Math.min(
      poolSettingsAt(pool, time.now()).maxInstances - poolLive,
      config.max_instances - live.length,
    );
    const newRunners = Math.max(0, Math.min(queued, room));
    const skipped = queued - newRunners;
    const failed = newRunners - (await createRunners(pool, newRunners));
    return group.slice(0, skipped + failed).map((routed) => routed.message);
  };

  /**
   * One CreateFleet for the whole group (runners.ts:522-570, TotalTargetCapacity n); a launch
   * error fails it all, as a fleet call would. Per instance: the runner (JIT config,
   * github-runner.ts:325-354), its SSM parameter, its tags (runner-config.ts:149-160); an instance
   * whose runner cannot be made is terminated (runner-config.ts:108-123). The launches made.
   */
  const createRunners = async (pool: PoolConfig, count: number): Promise<number> => {
    if (count === 0) return 0;
    let fleet: LaunchResult;
    try {
      fleet = await compute.launch({
        launchId: `${pool.name}-${(launchCount++).toString(16).padStart(12, "0")}`,
        count,
        pool,
        waitTimeoutSeconds: NO_WAIT_TIMEOUT_S,
      });
    } catch (error) {
      if (error instanceof RequestLimitExceeded) return 0;
      throw error;
    }
    if (fleet.kind !== "launched") return 0;
    let made = 0;
    for (const { instanceId } of fleet.instances) {
      try {
        // The module names a runner after its instance (scale-down.ts matches them so).
        const description = runnerDescription(config.deployment, instanceId);
        const created = await gitlab.createRunner(createRunnerRequest(pool, description));
        jitConfigs.set(instanceId, created.token);
        called("ssm:PutParameter");
        called("ec2:CreateTags");
        made += 1;
      } catch (error) {
        if (!isApiError(error)) throw error;
        await compute.terminate([instanceId]).catch(ignoreApiError);
      }
    }
    return made;
  };

  /**
   * The scale-down lambda (scale-down.ts:361-394): terminate last run's orphans; for each runner
   * instance, oldest first, past its minimum running time and registered, check its GitLab runner
   * is not busy, then delete it and terminate the instance (:173-224, 226-271); unregistered past
   * the boot time, tag it orphan. GitLab does not remove a runner after its job as GitHub removes
   * an ephemeral one, so the runners of instances that are gone are deleted too.
   */
  const scaleDown = async () => {
    invoke("scaleDown");
    try {
      const live = (await compute.listInstances()).filter(isUp);
      const tagged = live.filter((instance) => orphans.has(instance.instanceId));
      orphans.clear();
      if (tagged.length > 0) await compute.terminate(tagged.map((instance) => instance.instanceId));
      const registered = await ourRunners();
      const now = time.nowMillis;
      const oldestFirst = [...live].sort(
        (a, b) => Date.parse(a.launchedAt) - Date.parse(b.launchedAt),
      );
      for (const instance of oldestFirst) {
        if (tagged.includes(instance)) continue;
        const age = now - Date.parse(instance.launchedAt);
        const runnerId = registered.get(instance.instanceId);
        if (runnerId === undefined) {
          if (age > MODULE.runnerBootTimeS * 1000) orphans.add(instance.instanceId);
        } else if (age > MODULE.minimumRunningTimeS * 1000) {
          await removeIfIdle(runnerId, instance.instanceId).catch(ignoreApiError);
        }
      }
      const liveNames = new Set(live.map((instance) => instance.instanceId));
      for (const [name, runnerId] of registered)
        if (!liveNames.has(name)) await gitlab.deleteRunner(runnerId).catch(ignoreApiError);
    } catch (error) {
      ignoreApiError(error);
    }
  };

  const removeIfIdle = async (runnerId: number, instanceId: string) => {
    const runner = await gitlab.getRunner(runnerId);
    if (runner?.busy) return;
    await gitlab.deleteRunner(runnerId);
    await compute.terminate([instanceId]);
  };

  /** Our GitLab runners by instance: a listing per runner scope (as listGitHubRunners per owner). */
  const ourRunners = async (): Promise<Map<string, number>> => {
    const scopes = new Map(
      config.pools.map((pool) => [JSON.stringify(runnerScopeOf(pool)), runnerScopeOf(pool)]),
    );
    const byName = new Map<string, number>();
    for (const scope of scopes.values())
      for (const runner of await gitlab.listRunners(scope)) {
        const name = runnerNameFromDescription(config.deployment, runner.description);
        if (name !== undefined) byName.set(name, runner.id);
      }
    return byName;
  };

  /**
   * start-runner.sh: read the config from SSM (get-parameters-by-path, get-parameter), delete it
   * (:162, 203-211), run one job (run.sh --jitconfig, :264-270), then the cleanup. Without its
   * config it waits (the loop at :204-208): an instance whose runner was never made.
   */
  const bootRunner = (instance: WorldInstance) => {
    const token = jitConfigs.get(instance.instanceId);
    called("ssm:GetParametersByPath");
    called("ssm:GetParameter");
    if (token === undefined) return;
    jitConfigs.delete(instance.instanceId);
    called("ssm:DeleteParameter");
    startRunnerProcess(world, instance, {
      token,
      waitTimeoutS: NO_WAIT_TIMEOUT_S,
      maxJobs: 1,
      checkIntervalS: settings.checkIntervalS,
      onExit: () =>
        time.after(MODULE.cleanupSleepS * 1000, () =>
          // `terminate-instances … || true`: if EC2 refuses, the instance stays for the scale-down.
          compute.terminate([instance.instanceId]).catch(ignoreApiError),
        ),
    });
  };

  world.every(
    MODULE.scaleDownEveryS,
    Math.ceil(time.nowMillis / (MODULE.scaleDownEveryS * 1000)) * MODULE.scaleDownEveryS * 1000,
    scaleDown,
  );

  return {
    /**
     * API Gateway (HTTP API, modules/webhook/main.tf:6-8) → webhook lambda → EventBridge, on by
     * default (variables.tf:1149-1162; every event, webhook/index.ts:33-60) → a rule for queued
     * events only (modules/webhook/eventbridge/dispatcher.tf:1-15) → dispatcher → SQS, delayed.
     */
    async onJobHook(body) {
      invoke("webhook");
      meters.apiGatewayRequests += 1;
      const parsed = parseJobHook(JSON.parse(body()));
      if (parsed.kind !== "job") return;
      called("events:PutEvents");
      if (parsed.event.status !== "pending") return;
      invoke("dispatcher");
      called("sqs:SendMessage");
      const { jobId, projectId } = parsed.event;
      becomeVisible({ jobId, projectId, sentAtMs: time.nowMillis }, MODULE.delayWebhookEventS);
    },
    // The module subscribes to no EC2 events.
    onInstanceStateChange: async () => {},
    boot: bootRunner,
    // An unused runner goes at the first scale-down past its minimum running time; one that never
    // registered is tagged orphan past the boot time and goes one scale-down later.
    settleS: MODULE.runnerBootTimeS + 2 * MODULE.scaleDownEveryS,
    leftovers: async () => ({
      gitlabRunners: runnersOf(world, config.deployment),
      storedTokens: 0,
      ledgerSlots: 0,
      warmInstances: 0,
    }),
    // Nothing of it is billed by the hour; the scale-down's schedule is an EventBridge rule
    // (modules/runners/scale-down.tf:74-81), whose scheduled invocations are not billed.
    costUsd: () => {
      const p = CONTROL_PLANE_PRICES;
      let lambda = 0;
      for (const fn of Object.keys(LAMBDAS) as Lambda[]) {
        const { memoryGb, durationS } = LAMBDAS[fn];
        lambda += invocations[fn] * (p.lambdaRequest + durationS * memoryGb * p.lambdaGbSecond);
      }
      const count = (api: string) => meters.otherCalls.get(api) ?? 0;
      const sqs = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessageBatch"]
        .map(count)
        .reduce((sum, n) => sum + n, 0);
      // Lambda's pollers also long-poll the empty queue; those receives are billed, but how many
      // there are is not documented: not counted.
      return (
        lambda +
        meters.apiGatewayRequests * p.apiGatewayRequest +
        sqs * SQS_REQUEST_USD +
        count("events:PutEvents") * EVENTBRIDGE_EVENT_USD
      );
    },
  };
};

/** The module counts instances `running` or `pending` (runners.ts:46-85). */
const isUp = (instance: ComputeInstance) =>
  instance.state === "running" || instance.state === "pending";

const ignoreApiError = (error: unknown) => {
  if (!isApiError(error)) throw error;
};
