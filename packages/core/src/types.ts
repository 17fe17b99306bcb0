export type { HistoryJob, HistoryWindow } from "./adapters/gitlab/job-history";
export type { StageOutputs } from "./config/stage-outputs";
export type { JobEvent } from "./jobs/job-event";
export type { JobHookParseResult } from "./jobs/job-hook";
export type { JobEventOutcome, JobRecord } from "./jobs/job-record";
export type { JobStatus } from "./jobs/job-status";
export type { PipelineDemand, PipelineHalt } from "./jobs/pipeline-halt";
export type { ProjectActivity } from "./jobs/project-activity";
export type { LookaheadDemand } from "./lookahead/lookahead-demand";
export type { FutureJob, LookaheadInput } from "./lookahead/pending-estimate";
export type { MetricDefinition, MetricPoint, MetricService } from "./metrics";
export type {
  AutoscalerConfig,
  AutoscalerConfigInput,
  PoolConfig,
  PoolPolicy,
} from "./pools/autoscaler-config";
export type { RoutableJob, UnroutableReason } from "./pools/routing";
export type { PoolSupply, ScalingInput } from "./pools/scaling-policy";
export type { PoolSettings } from "./pools/schedule";
export type { Clock } from "./ports/clock";
export type {
  Compute,
  ComputeInstance,
  InstanceState,
  LaunchRequest,
  LaunchResult,
} from "./ports/compute";
export type { ConnectedHooks } from "./ports/connected-hooks";
export type { DemandStore } from "./ports/demand-store";
export type {
  CappedRunnerScope,
  CreatedRunner,
  CreateRunnerRequest,
  GitlabJob,
  GitlabRunner,
  HooksApi,
  JobsApi,
  ProjectHook,
  RunnerRegistry,
  RunnerScope,
} from "./ports/gitlab";
export type {
  AccessTokenFacts,
  GitlabHook,
  GitlabSetupApi,
  HookOwner,
  HookSettings,
} from "./ports/gitlab-setup";
export type { DurationKey, JobDurations } from "./ports/job-durations";
export type { Lease } from "./ports/lease";
export type { PoolControls } from "./ports/pool-controls";
export type {
  CapacityCaps,
  LedgerView,
  ReserveOutcome,
  RunnerChanges,
  RunnerStore,
} from "./ports/runner-store";
export type { GrantOutcome, TokenDrop } from "./ports/token-drop";
export type { WebhookCredentialsSource } from "./ports/webhook-credentials-source";
export type { ReaperDependencies, ReaperOptions, ReaperReport } from "./reaper/reap";
export type { ReaperAction, ReaperFacts, RetireReason } from "./reaper/reaper-decisions";
export type { ReaperInvocation } from "./reaper/reaper-invocation";
export type { ReconcileDependencies, ReconcileLimits, ReconcileReport } from "./reaper/reconcile";
export type {
  InstanceEvent,
  InstanceEventDependencies,
  InstanceEventOutcome,
} from "./runners/instance-events";
export type { JobProgress, ProgressOutcome } from "./runners/observe-progress";
export type { Registration } from "./runners/registration";
export type { Market, RunnerRecord, RunnerState } from "./runners/runner-record";
export type { LaunchDependencies, LaunchOutcome } from "./scaler/launch-runner";
export type { PoolReport, ScalerDependencies, ScalerLimits, ScalerReport } from "./scaler/scale-up";
export type { ScalerInvocation } from "./scaler/scaler-invocation";
export type {
  ControlPlaneStatus,
  JobView,
  PoolView,
  RunnerView,
  StatusSources,
} from "./status/control-plane-status";
export type { AuthFailure, AuthResult } from "./webhook/authenticate";
export type { GroupHookToken, WebhookCredentials } from "./webhook/credentials";
export type { WebhookDependencies, WebhookRequest } from "./webhook/receive-job-webhook";
export type { WebhookOutcome, WebhookResponse } from "./webhook/webhook-outcome";
