import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { GitlabDoubleModel } from "./model";
import { createGitlabDoubleServer, type Fault } from "./server";
import { WebhookSender, type WebhookTarget } from "./webhook-sender";

export interface GitlabDouble {
  readonly url: string;
  readonly adminToken: string;
  readonly model: GitlabDoubleModel;
  readonly faults: Fault[];
  /** GitLab API calls received, by route (the runner-side API excluded). */
  readonly apiCalls: Map<string, number>;
  readonly webhooks?: WebhookSender;
  stop(): Promise<void>;
}

/** Starts the GitLab double on loopback; with a webhook target it sends Job Hooks there. */
export const startGitlabDouble = async (
  options: { adminToken?: string; port?: number; webhook?: WebhookTarget } = {},
): Promise<GitlabDouble> => {
  const adminToken = options.adminToken ?? "glpat-local-double-admin";
  const model = new GitlabDoubleModel();
  const server = createGitlabDoubleServer(model, adminToken);
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const webhooks = options.webhook && new WebhookSender(model, options.webhook);
  if (options.webhook) model.hooks.push({ url: options.webhook.url, alertStatus: "executable" });
  return {
    url: `http://127.0.0.1:${port}`,
    adminToken,
    model,
    faults: server.faults,
    apiCalls: server.apiCalls,
    ...(webhooks && { webhooks }),
    stop: async () => {
      await webhooks?.settled();
      server.closeAllConnections();
      server.close();
    },
  };
};

export type { DoubleJob, DoubleRunner } from "./model";
export type { WebhookTarget } from "./webhook-sender";
