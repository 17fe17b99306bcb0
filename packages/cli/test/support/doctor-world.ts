import {
  GitLabRestClient,
  GitLabSetupRestApi,
  InMemoryConnectedHooks,
  parseAutoscalerConfig,
} from "@ger/core";
import type { AutoscalerConfig, AutoscalerConfigInput } from "@ger/core/types";
import { type GitlabDouble, type GitlabDoubleOptions, startGitlabDouble } from "@ger/local";
import { configInput } from "../../../../test/support/config";
import { type AccountModel, InMemoryAwsAccount } from "../../src/doctor/memory-account";
import type { DoctorContext } from "../../src/doctor/run-doctor";
import { healthyAccount, STAGE } from "./doctor-account";

/** A weekday morning in 2099: far from any token expiry the tests set. */
export const NOW = new Date("2099-03-04T09:30:00Z");
export const WEBHOOK_SECRET = "test-webhook-secret-0123456789abcdef";

export interface DoctorWorld {
  readonly double: GitlabDouble;
  readonly config: AutoscalerConfig;
  readonly account: InMemoryAwsAccount;
  readonly connected: InMemoryConnectedHooks;
  readonly context: DoctorContext;
}

/**
 * The test config against a GitLab double (its group 42 and project 7 let the token manage their
 * hooks) and an AWS account where it fits; `gitlabToken` picks which of the double's tokens the
 * stage's secret holds.
 */
export const startDoctorWorld = async (
  options: {
    readonly double?: GitlabDoubleOptions;
    readonly gitlabToken?: string;
    readonly account?: (model: AccountModel) => AccountModel;
    readonly config?: (input: AutoscalerConfigInput) => AutoscalerConfigInput;
  } = {},
): Promise<DoctorWorld> => {
  const double = await startGitlabDouble({ clock: { now: () => NOW }, ...options.double });
  const input = { ...configInput(), gitlab_url: double.url };
  const config = parseAutoscalerConfig(options.config?.(input) ?? input);
  double.model.hooks.set(7, []);
  double.model.groupHooks.set(42, []);
  const model = healthyAccount(config, options.gitlabToken ?? double.adminToken, WEBHOOK_SECRET);
  const account = new InMemoryAwsAccount(options.account?.(model) ?? model);
  const connected = new InMemoryConnectedHooks();
  const context: DoctorContext = {
    config,
    stage: STAGE,
    account,
    clock: { now: () => NOW },
    probeWebhook: async () => ({ status: 401, body: "{}" }),
    gitlab: (token) => {
      const registry = new GitLabRestClient({ baseUrl: double.url, token: async () => token });
      return { registry, setup: new GitLabSetupRestApi(registry) };
    },
    connectedHooks: () => connected,
    connectCommand: `npm run cli -- connect --stage ${STAGE}`,
  };
  return { double, config, account, connected, context };
};
