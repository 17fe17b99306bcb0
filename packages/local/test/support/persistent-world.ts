import { GitLabRestClient, InMemoryTokenDrop } from "@ger/core";
import type { Clock } from "@ger/core/types";
import { type GitlabDouble, startGitlabDouble } from "../../src/gitlab-double/index";
import type { EdgesFactory } from "../../src/local-stack";
import { SimulatedEc2 } from "../../src/simulated-ec2";

export interface PersistentWorldOptions {
  readonly clock: Clock;
  /** Where the double sends Job Hooks: the webhook of every stack started on this world. */
  readonly webhookUrl: string;
  readonly secretToken: string;
  readonly bootDelayMs: number;
  readonly checkIntervalMs: number;
}

/**
 * GitLab (the double), EC2 (simulated, its instances running simulated gitlab-runners) and the
 * token store, outside any control plane: a stack started with `edges` attaches to them and, when
 * it stops, only detaches. While no stack is attached, Job Hooks fail (GitLab never sends them
 * again) and instance state changes wait for the next stack, as EventBridge retries its targets.
 */
export interface PersistentWorld {
  readonly double: GitlabDouble;
  readonly ec2: SimulatedEc2;
  readonly tokens: InMemoryTokenDrop;
  readonly edges: EdgesFactory;
  /** Powers every instance off, waits for their runners to exit, then stops the double. */
  stop(): Promise<void>;
}

export const startPersistentWorld = async (
  options: PersistentWorldOptions,
): Promise<PersistentWorld> => {
  let attached: ((instanceId: string, state: string) => void) | undefined;
  const undelivered: [instanceId: string, state: string][] = [];
  const double = await startGitlabDouble({
    clock: options.clock,
    webhook: { url: options.webhookUrl, secretToken: options.secretToken },
  });
  const tokens = new InMemoryTokenDrop();
  const ec2 = new SimulatedEc2({
    clock: options.clock,
    tokens,
    gitlabUrl: double.url,
    bootDelayMs: options.bootDelayMs,
    checkIntervalMs: options.checkIntervalMs,
    onStateChange: (instanceId, state) =>
      attached ? attached(instanceId, state) : undelivered.push([instanceId, state]),
  });
  const edges: EdgesFactory = async (webhookUrl, onInstanceStateChange) => {
    if (webhookUrl !== options.webhookUrl)
      throw new Error(`the double sends hooks to ${options.webhookUrl}, not ${webhookUrl}`);
    attached = onInstanceStateChange;
    // Once the stack has made its handlers, which it does right after its edges.
    setImmediate(() => {
      for (const [instanceId, state] of undelivered.splice(0))
        onInstanceStateChange(instanceId, state);
    });
    // A new client per stack, as a new Lambda makes one at cold start.
    const api = new GitLabRestClient({ baseUrl: double.url, token: async () => double.adminToken });
    return {
      gitlabUrl: double.url,
      jobsApi: api,
      registry: api,
      webhook: { url: webhookUrl, hooks: api },
      tokens,
      compute: ec2,
      double,
      simulatedEc2: ec2,
      stop: async () => {
        if (attached === onInstanceStateChange) attached = undefined;
      },
    };
  };
  return {
    double,
    ec2,
    tokens,
    edges,
    stop: async () => {
      attached = undefined;
      ec2.stop();
      await ec2.settled();
      await double.stop();
    },
  };
};
