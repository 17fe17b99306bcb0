export { DynamoConnectedHooks } from "./adapters/dynamodb/connected-hooks";
export { DynamoDemandStore } from "./adapters/dynamodb/demand-store";
export {
  DynamoJobDurations,
  type DynamoJobDurationsOptions,
} from "./adapters/dynamodb/job-durations";
export { DURATION_PARTITION_PREFIX } from "./adapters/dynamodb/keys";
export { DynamoLease } from "./adapters/dynamodb/lease";
export { DynamoPoolControls } from "./adapters/dynamodb/pool-controls";
export { DynamoRunnerStore } from "./adapters/dynamodb/runner-store";
export {
  reportsRunnerProgress,
  SCALER_STREAM_FILTER_PATTERNS,
  scalerWantsRecord,
  wakesScaler,
} from "./adapters/dynamodb/scaler-wake";
export { createTableInput, TABLE_KEYS } from "./adapters/dynamodb/table";
export { Ec2FleetCompute, launchTemplatesSetting } from "./adapters/ec2/fleet-compute";
export { launchTemplateData } from "./adapters/ec2/launch-template";
export { instanceTags, TAG_KEYS } from "./adapters/ec2/tags";
export {
  HISTORY_REQUESTS_PER_MINUTE,
  historyBudget,
  readJobHistory,
  stagePositions,
} from "./adapters/gitlab/job-history";
export { GitLabRestClient } from "./adapters/gitlab/rest-client";
export { GitLabSetupRestApi } from "./adapters/gitlab/setup-api";
export { InMemoryCompute } from "./adapters/memory/compute";
export { InMemoryConnectedHooks } from "./adapters/memory/connected-hooks";
export { InMemoryDemandStore } from "./adapters/memory/demand-store";
export { InMemoryGitlab } from "./adapters/memory/gitlab";
export { GitlabModel, type GitlabModelOptions } from "./adapters/memory/gitlab-model";
export type {
  EnqueueRequest,
  GitlabModelJob,
  GitlabModelRunner,
  RunnerFacts,
  RunnerFields,
} from "./adapters/memory/gitlab-model-records";
export { GitlabPipelines, type PipelineRequest } from "./adapters/memory/gitlab-pipelines";
export { InMemoryJobDurations } from "./adapters/memory/job-durations";
export { jobHookPayload } from "./adapters/memory/job-hook-payload";
export { InMemoryLease } from "./adapters/memory/lease";
export { InMemoryPoolControls } from "./adapters/memory/pool-controls";
export { InMemoryRunnerStore } from "./adapters/memory/runner-store";
export { StaticWebhookCredentials } from "./adapters/memory/static-credentials";
export { InMemoryTokenDrop } from "./adapters/memory/token-drop";
export { SecretsManagerWebhookCredentials } from "./adapters/secrets-manager/webhook-credentials";
export { SsmTokenDrop, TOKEN_READER_TAG } from "./adapters/ssm/token-drop";
export { mapWithConcurrency } from "./concurrency";
export { parseEnvironment } from "./config/environment";
export { parseStageOutputs, stageOutputsParameter } from "./config/stage-outputs";
export { AutoscalerError, ConfigurationError, GitLabApiError } from "./errors";
export { parseJobHook } from "./jobs/job-hook";
export { applyJobEvent, JOB_RETENTION_SECONDS, RETRY_CLAIM_SECONDS } from "./jobs/job-record";
export { isFinished, JOB_STATUSES, statusRank } from "./jobs/job-status";
export { FRESH_DEMAND_SECONDS, MAX_PASSED_OVER } from "./jobs/passed-over";
export { PROJECT_ACTIVITY_WINDOW_SECONDS } from "./jobs/project-activity";
export { parseGitlabTimestamp } from "./jobs/timestamps";
export { DURATION_PRIOR_SECONDS, estimateDurationSeconds } from "./lookahead/duration-estimate";
export { durationSampleOf, pipelineHaltOf } from "./lookahead/learn-from-hook";
export {
  dueForPool,
  LOOKAHEAD_WINDOW_SECONDS,
  readLookaheadDemand,
} from "./lookahead/lookahead-demand";
export { durationKeysFor, estimateFutureJobs, launchAtOf } from "./lookahead/pending-estimate";
export { METRIC_DEFINITIONS, METRICS_NAMESPACE, MetricName } from "./metrics";
export { defineConfig, parseAutoscalerConfig } from "./pools/autoscaler-config";
export { DEFAULT_CONFIG_FILE, loadConfigFile } from "./pools/config-file";
export { gitlabComPlanLimit, isGitlabCom } from "./pools/plan-limits";
export {
  groupsOfPools,
  needsProjectGroups,
  poolCanRun,
  poolServes,
  routableJob,
  routeJob,
  whyUnroutable,
} from "./pools/routing";
export { createRunnerRequest, registrationCapOf, runnerScopeOf } from "./pools/runner-scope";
export { NO_SUPPLY, runnersToStart } from "./pools/scaling-policy";
export { poolSettingsAt } from "./pools/schedule";
export { systemClock } from "./ports/clock";
export {
  DURATION_RETENTION_SECONDS,
  DURATION_SAMPLES,
  durationKeyOf,
  historyName,
} from "./ports/job-durations";
export { ThrottleCounter } from "./rate-limit/throttle-counter";
export { TokenBucket } from "./rate-limit/token-bucket";
export { runReaperPass } from "./reaper/reap";
export {
  decideReaperActions,
  INSTANCE_LISTING_LAG_SECONDS,
  ORPHAN_GRACE_SECONDS,
  RETIREMENT_IN_FLIGHT_SECONDS,
  STALLED_LAUNCH_SECONDS,
} from "./reaper/reaper-decisions";
export { runReaperInvocation } from "./reaper/reaper-invocation";
export { reaperMetrics } from "./reaper/reaper-metrics";
export { DEFAULT_RECONCILE_LIMITS, reconcileDemand, reconcileMetrics } from "./reaper/reconcile";
export { handleInstanceEvent } from "./runners/instance-events";
export { jobWakesScaler, progressOfJob } from "./runners/job-progress";
export { marketOrder } from "./runners/market-order";
export { observeJobProgress } from "./runners/observe-progress";
export { retireRunner } from "./runners/retire-runner";
export {
  newRunnerName,
  runnerDescription,
  runnerNameFromDescription,
} from "./runners/runner-identity";
export { nextTokenNameOf, RUNNER_STATES, supplyOf } from "./runners/runner-record";
export { LAUNCH_RETRY_SECONDS, launchRunners } from "./scaler/launch-runner";
export {
  HIDDEN_PROJECT_TTL_SECONDS,
  PROJECT_GROUPS_TTL_SECONDS,
  ProjectGroups,
} from "./scaler/project-groups";
export { RegistrationCaps } from "./scaler/registration-caps";
export { resolveJobTags } from "./scaler/resolve-tags";
export {
  DEFAULT_SCALER_LIMITS,
  REGISTRATION_REVISIT_SECONDS,
  runScalerPass,
} from "./scaler/scale-up";
export {
  nextRevisitSeconds,
  runScalerInvocation,
  SCALER_REVISIT_WITHIN_SECONDS,
} from "./scaler/scaler-invocation";
export { scalerMetrics } from "./scaler/scaler-metrics";
export { readControlPlaneStatus } from "./status/control-plane-status";
export { LOG_SHIPPER_PATH, runnerLogGroupName } from "./user-data/boot-logs";
export { RUNNER_SCRIPT_PATH, renderUserData, userDataFiles } from "./user-data/cloud-config";
export {
  runnerScript,
  runnerScriptSettings,
  TOKEN_POLL_DELAYS_SECONDS,
  tokenParameterPrefix,
} from "./user-data/runner-script";
export { shellQuote } from "./user-data/shell-quote";
export { authenticate } from "./webhook/authenticate";
export { parseWebhookCredentials } from "./webhook/credentials";
export { projectHookToken } from "./webhook/project-hook-token";
export { MAX_WEBHOOK_BODY_BYTES, receiveJobWebhook } from "./webhook/receive-job-webhook";
export { tokensMatch } from "./webhook/tokens-match";
export { webhookMetrics } from "./webhook/webhook-metrics";
export { toWebhookResponse } from "./webhook/webhook-outcome";
