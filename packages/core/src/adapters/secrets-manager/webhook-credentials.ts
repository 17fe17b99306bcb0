import type { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { ResourceNotFoundException } from "@aws-sdk/client-secrets-manager";
import { ConfigurationError } from "../../errors";
import type { Clock } from "../../ports/clock";
import type { WebhookCredentialsSource } from "../../ports/webhook-credentials-source";
import { parseWebhookCredentials, type WebhookCredentials } from "../../webhook/credentials";

export interface SecretsManagerCredentialsOptions {
  /** How long a read secret is trusted before it is read again. */
  readonly maxAgeSeconds: number;
  /** The least time between two forced re-reads after a mismatch. */
  readonly minRefreshIntervalSeconds: number;
}

const DEFAULTS: SecretsManagerCredentialsOptions = {
  maxAgeSeconds: 300,
  minRefreshIntervalSeconds: 60,
};

/** Webhook credentials from Secrets Manager, cached by Powertools Parameters. */
export class SecretsManagerWebhookCredentials implements WebhookCredentialsSource {
  private lastForcedRead = Number.NEGATIVE_INFINITY;
  private readonly options: SecretsManagerCredentialsOptions;

  constructor(
    private readonly provider: SecretsProvider,
    private readonly secretId: string,
    private readonly clock: Clock,
    options: Partial<SecretsManagerCredentialsOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  current(): Promise<WebhookCredentials> {
    return this.read(false);
  }

  async refreshed(): Promise<WebhookCredentials | undefined> {
    const now = this.clock.now().getTime();
    if (now - this.lastForcedRead < this.options.minRefreshIntervalSeconds * 1000) return undefined;
    this.lastForcedRead = now;
    return this.read(true);
  }

  private async read(forceFetch: boolean): Promise<WebhookCredentials> {
    let value: unknown;
    try {
      value = await this.provider.get(this.secretId, {
        maxAge: this.options.maxAgeSeconds,
        forceFetch,
      });
    } catch (error) {
      if (
        error instanceof ResourceNotFoundException ||
        (error as Error).cause instanceof ResourceNotFoundException
      ) {
        throw new ConfigurationError(
          `the webhook secret ${this.secretId} has no value yet: set it with 'aws secretsmanager put-secret-value'`,
          { cause: error },
        );
      }
      throw error;
    }
    if (typeof value !== "string") {
      throw new ConfigurationError(
        `the webhook secret ${this.secretId} must be a string secret, not binary`,
      );
    }
    return parseWebhookCredentials(value);
  }
}
