import type { WebhookCredentials } from "../webhook/credentials";

export interface WebhookCredentialsSource {
  /** The credentials in force, possibly cached. */
  current(): Promise<WebhookCredentials>;
  /**
   * Re-reads the credentials, bypassing the cache, so a rotated secret is picked up at once.
   * Returns undefined when a re-read happened too recently: failed requests must not turn into
   * a flood of secret reads.
   */
  refreshed(): Promise<WebhookCredentials | undefined>;
}
