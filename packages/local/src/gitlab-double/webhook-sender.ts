import { randomUUID } from "node:crypto";
import { type GitlabModel, type GitlabModelJob, jobHookPayload } from "@ger/core";

export interface WebhookTarget {
  readonly url: string;
  readonly secretToken: string;
}

/** Delivers Job Hooks the way GitLab does: asynchronously, with GitLab's headers, never retried. */
export class WebhookSender {
  delivered = 0;
  failed = 0;
  /** While false, hooks are dropped, as GitLab drops them over its rate limit. */
  enabled = true;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly model: GitlabModel,
    private readonly target: WebhookTarget,
  ) {
    model.on("job", (job) => {
      if (this.enabled) this.track(this.send(job));
    });
  }

  /** Resolves once every hook sent so far has been answered. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private track(delivery: Promise<void>) {
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async send(job: GitlabModelJob): Promise<void> {
    const runner = job.runnerId === undefined ? undefined : this.model.runners.get(job.runnerId);
    try {
      const response = await fetch(this.target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "GitLab/17.6.0",
          "x-gitlab-event": "Job Hook",
          "x-gitlab-token": this.target.secretToken,
          "x-gitlab-instance": "http://gitlab-double.local",
          "x-gitlab-webhook-uuid": randomUUID(),
          "x-gitlab-event-uuid": randomUUID(),
          "idempotency-key": randomUUID(),
        },
        body: JSON.stringify(jobHookPayload(job, runner, this.model.clock.now())),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.ok) this.delivered += 1;
      else this.failed += 1;
    } catch {
      this.failed += 1;
    }
  }
}
