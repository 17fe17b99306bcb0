import type { WebhookCredentialsSource } from "../../ports/webhook-credentials-source";
import type { WebhookCredentials } from "../../webhook/credentials";

/** Credentials fixed at start-up: the local stack's and the tests'. */
export class StaticWebhookCredentials implements WebhookCredentialsSource {
  constructor(private readonly credentials: WebhookCredentials) {}

  async current(): Promise<WebhookCredentials> {
    return this.credentials;
  }

  async refreshed(): Promise<undefined> {
    return undefined;
  }
}
