import { randomUUID } from "node:crypto";
import { type GitlabModel, type GitlabModelJob, jobHookPayload } from "@ger/core";

export interface WebhookTarget {
  readonly url: string;
  readonly secretToken: string;
}

/**
 * Sends one hook, as built when its job changed. Called again it sends the same delivery again
 * (GitLab's retry: same Idempotency-Key and UUIDs), or with `freshKey` another delivery of it.
 */
export type Deliver = (options?: { readonly freshKey?: boolean }) => Promise<void>;

/**
 * What becomes of each hook: GitLab delivers it once, at once. Tests put another in its place to
 * drop, repeat, delay or reorder deliveries (call `deliver` never, twice, or later).
 */
export type DeliveryPolicy = (job: GitlabModelJob, deliver: Deliver) => void;

export const deliverOnce: DeliveryPolicy = (_job, deliver) => void deliver();

const deliveryKeys = () => ({
  "x-gitlab-webhook-uuid": randomUUID(),
  "x-gitlab-event-uuid": randomUUID(),
  "idempotency-key": randomUUID(),
});

/** Delivers Job Hooks the way GitLab does: asynchronously, with GitLab's headers, never retried. */
export class WebhookSender {
  delivered = 0;
  failed = 0;
  /** While false, hooks are dropped, as GitLab drops them over its rate limit. */
  enabled = true;
  policy: DeliveryPolicy = deliverOnce;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly model: GitlabModel,
    private readonly target: WebhookTarget,
  ) {
    model.on("job", (job) => {
      if (!this.enabled) return;
      const body = this.payload(job);
      const keys = deliveryKeys();
      this.policy(job, ({ freshKey = false } = {}) =>
        this.track(this.send(body, freshKey ? deliveryKeys() : keys)),
      );
    });
  }

  /** Resolves once every hook sent so far has been answered. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private track(delivery: Promise<void>): Promise<void> {
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
    return delivery;
  }

  private payload(job: GitlabModelJob): string {
    const runner = job.runnerId === undefined ? undefined : this.model.runners.get(job.runnerId);
    return JSON.stringify(jobHookPayload(job, runner, this.model.clock.now()));
  }

  private async send(body: string, keys: Record<string, string>): Promise<void> {
    try {
      const response = await fetch(this.target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "GitLab/17.6.0",
          "x-gitlab-event": "Job Hook",
          "x-gitlab-token": this.target.secretToken,
          "x-gitlab-instance": "http://gitlab-double.local",
          ...keys,
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      if (response.ok) this.delivered += 1;
      else this.failed += 1;
    } catch {
      this.failed += 1;
    }
  }
}
