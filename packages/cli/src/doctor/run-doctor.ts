import type {
  AutoscalerConfig,
  Clock,
  ConnectedHooks,
  GitlabSetupApi,
  HookOwner,
  RunnerRegistry,
  StageOutputs,
} from "@ger/core/types";
import type { AwsAccount } from "./aws-account";
import { runAwsChecks } from "./aws-checks";
import type { WebhookProbe } from "./aws-stage-checks";
import { type CheckResult, checksOf, describeError } from "./check";
import { runGitlabChecks } from "./gitlab-checks";

const { fail } = checksOf("gitlab");

export interface GitlabClients {
  readonly setup: GitlabSetupApi;
  readonly registry: Pick<RunnerRegistry, "listRunners" | "namespacePlan">;
}

export interface DoctorContext {
  readonly config: AutoscalerConfig;
  readonly stage: string;
  readonly account: AwsAccount;
  readonly clock: Clock;
  readonly probeWebhook: WebhookProbe;
  /** GitLab's API with the token the deployment uses. */
  readonly gitlab: (token: string) => GitlabClients;
  /** The deployment's record of the hooks `connect` manages (in its table). */
  readonly connectedHooks: (outputs: StageOutputs) => ConnectedHooks;
  /** `npm run cli -- connect` with this stage's flags. */
  readonly connectCommand: string;
}

export interface DoctorReport {
  readonly stage: string;
  /** No ✗. */
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
}

/** Every check, AWS first: the stage's outputs say which token and webhook URL GitLab is checked with. */
export const runDoctor = async (context: DoctorContext): Promise<DoctorReport> => {
  const aws = await runAwsChecks(context);
  const gitlab = aws.outputs
    ? await gitlabChecks(context, aws.outputs)
    : [
        fail("gitlab.skipped", "GitLab", {
          saw: "not checked: the stage's outputs (its GitLab token secret and webhook URL) were not found",
          fix: "fix the AWS checks, then run doctor again",
        }),
      ];
  const checks = [...aws.results, ...gitlab];
  return { stage: context.stage, ok: checks.every((check) => check.status !== "fail"), checks };
};

const gitlabChecks = async (context: DoctorContext, outputs: StageOutputs) => {
  const replaceToken = `aws secretsmanager put-secret-value --secret-id ${outputs.gitlabTokenSecret} --secret-string 'glpat-…'`;
  let token: string;
  try {
    token = await context.account.readSecret(outputs.gitlabTokenSecret);
  } catch (error) {
    return [
      fail("gitlab.skipped", "GitLab", {
        saw: `not checked: cannot read the GitLab token from ${outputs.gitlabTokenSecret} (${describeError(error)})`,
        fix: replaceToken,
      }),
    ];
  }
  let connectedHooks: HookOwner[];
  try {
    connectedHooks = await context.connectedHooks(outputs).list();
  } catch (error) {
    return [
      fail("gitlab.skipped", "GitLab", {
        saw: `not checked: cannot read which hooks connect manages from table ${outputs.tableName} (${describeError(error)})`,
        fix: "give your credentials dynamodb:Query on the stage's table, or run doctor again",
      }),
    ];
  }
  const { setup, registry } = context.gitlab(token);
  return runGitlabChecks({
    config: context.config,
    setup,
    registry,
    webhookUrl: outputs.webhookUrl,
    connectedHooks,
    clock: context.clock,
    replaceToken,
    connectCommand: context.connectCommand,
  });
};
