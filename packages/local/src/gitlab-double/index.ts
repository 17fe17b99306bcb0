import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { GitlabModel, systemClock } from "@ger/core";
import type { Clock } from "@ger/core/types";
import type { Fault } from "./faults";
import { createGitlabDoubleServer } from "./server";
import type { DoubleToken } from "./tokens";
import { WebhookSender, type WebhookTarget } from "./webhook-sender";

export interface GitlabDouble {
  readonly url: string;
  readonly adminToken: string;
  readonly model: GitlabModel;
  readonly faults: Fault[];
  /** GitLab API calls received, by route (the runner-side API excluded). */
  readonly apiCalls: Map<string, number>;
  readonly webhooks?: WebhookSender;
  stop(): Promise<void>;
}

export interface GitlabDoubleOptions {
  /** An administrator's token with scopes api, create_runner, manage_runner and read_api. */
  readonly adminToken?: string;
  /** More tokens GitLab knows, for tests of scopes, expiry and roles. */
  readonly tokens?: readonly DoubleToken[];
  /** What GET /version says; default a current release. */
  readonly version?: string;
  readonly port?: number;
  /** Where to send Job Hooks; every project has this hook. */
  readonly webhook?: WebhookTarget;
  /** The double's time; the system clock unless a test brings its own. */
  readonly clock?: Clock;
  /** False plays GitLab before 17: GET /runners/:id without job_execution_status. */
  readonly reportsJobExecutionStatus?: boolean;
}

/** Starts the GitLab double on loopback; with a webhook target it sends Job Hooks there. */
export const startGitlabDouble = async (
  options: GitlabDoubleOptions = {},
): Promise<GitlabDouble> => {
  const adminToken = options.adminToken ?? "glpat-local-double-admin";
  const clock = options.clock ?? systemClock;
  const model = new GitlabModel({
    clock,
    firstJobId: 4_000_000_001, // above 2^31, as on gitlab.com
    // The admin token may read every project's hooks.
    defaultHooks: options.webhook ? [{ url: options.webhook.url, alertStatus: "executable" }] : [],
  });
  const server = createGitlabDoubleServer(model, {
    tokens: [
      {
        token: adminToken,
        name: "local-double-admin",
        scopes: ["api", "create_runner", "manage_runner", "read_api"],
        instanceAdmin: true,
      },
      ...(options.tokens ?? []),
    ],
    reportsJobExecutionStatus: options.reportsJobExecutionStatus ?? true,
    version: { version: options.version ?? "18.6.0-ee", revision: "2d5d0f8e5b1" },
    startedAt: clock.now(),
  });
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const webhooks = options.webhook && new WebhookSender(model, options.webhook);
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

export type { WebhookTarget } from "./webhook-sender";
