import { EC2Client } from "@aws-sdk/client-ec2";
import { SSMClient } from "@aws-sdk/client-ssm";
import {
  Ec2FleetCompute,
  GitLabRestClient,
  InMemoryTokenDrop,
  SsmTokenDrop,
  tokenParameterPrefix,
} from "@ger/core";
import type {
  AutoscalerConfig,
  Clock,
  Compute,
  HooksApi,
  JobsApi,
  RunnerRegistry,
  TokenDrop,
} from "@ger/core/types";
import { type GitlabDouble, startGitlabDouble } from "./gitlab-double/index";
import type { LocalSettings } from "./settings";
import { SimulatedEc2 } from "./simulated-ec2";

/** What the scaler talks to outside the control plane. */
export interface ScalerEdges {
  readonly gitlabUrl: string;
  readonly jobsApi: JobsApi;
  readonly registry: RunnerRegistry;
  /** The webhook's URL as GitLab knows it, and its project hooks (simulated edges only). */
  readonly webhook?: { readonly url: string; readonly hooks: HooksApi };
  readonly tokens: TokenDrop;
  readonly compute: Compute;
  /** Present when the edges are simulated. */
  readonly double?: GitlabDouble;
  readonly simulatedEc2?: SimulatedEc2;
  stop(): Promise<void>;
}

/** The GitLab double (sending Job Hooks to `webhookUrl`) and simulated EC2. */
export const simulatedEdges = async (
  settings: LocalSettings,
  webhookUrl: string,
  onInstanceStateChange: (instanceId: string, state: string) => void,
  clock: Clock,
): Promise<ScalerEdges> => {
  const double = await startGitlabDouble({
    clock,
    port: settings.GITLAB_DOUBLE_PORT,
    webhook: { url: webhookUrl, secretToken: settings.WEBHOOK_SECRET },
  });
  const api = new GitLabRestClient({ baseUrl: double.url, token: async () => double.adminToken });
  const tokens = new InMemoryTokenDrop();
  const simulatedEc2 = new SimulatedEc2({
    clock,
    tokens,
    gitlabUrl: double.url,
    bootDelayMs: settings.SIM_BOOT_DELAY_MS,
    checkIntervalMs: settings.SIM_CHECK_INTERVAL_MS,
    onStateChange: onInstanceStateChange,
  });
  return {
    gitlabUrl: double.url,
    jobsApi: api,
    registry: api,
    webhook: { url: webhookUrl, hooks: api },
    tokens,
    compute: simulatedEc2,
    double,
    simulatedEc2,
    stop: async () => {
      simulatedEc2.stop();
      await double.stop();
    },
  };
};

/**
 * A real GitLab and real EC2 (GITLAB_URL and friends set): the same adapters as the scaler Lambda,
 * with the credentials of whoever runs `npm start`. Job Hooks must then reach this machine.
 */
export const realEdges = (
  settings: Required<
    Pick<
      LocalSettings,
      "GITLAB_URL" | "GITLAB_TOKEN" | "LAUNCH_TEMPLATES" | "AWS_ACCOUNT_ID" | "AWS_REGION"
    >
  >,
  { deployment, tags, kms_key_arn }: Pick<AutoscalerConfig, "deployment" | "tags" | "kms_key_arn">,
): ScalerEdges => {
  const api = new GitLabRestClient({
    baseUrl: settings.GITLAB_URL,
    token: async () => settings.GITLAB_TOKEN,
    // A runner id from the table is deleted only if GitLab describes it as this deployment's.
    deployment,
  });
  return {
    gitlabUrl: settings.GITLAB_URL,
    jobsApi: api,
    registry: api,
    tokens: new SsmTokenDrop(new SSMClient({}), {
      parameterPrefix: tokenParameterPrefix(deployment),
      instanceArnPrefix: `arn:aws:ec2:${settings.AWS_REGION}:${settings.AWS_ACCOUNT_ID}:instance/`,
      ...(kms_key_arn && { kmsKeyId: kms_key_arn }),
    }),
    compute: new Ec2FleetCompute(new EC2Client({ retryMode: "adaptive", maxAttempts: 6 }), {
      deployment,
      tags,
      launchTemplates: settings.LAUNCH_TEMPLATES,
    }),
    stop: async () => undefined,
  };
};
