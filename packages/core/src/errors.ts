/** Base of every error this project throws on purpose. */
export class AutoscalerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting or secret is missing or malformed: retrying will not help until an operator fixes it. */
export class ConfigurationError extends AutoscalerError {}

/** GitLab answered with an error status. */
export class GitLabApiError extends AutoscalerError {
  constructor(
    message: string,
    readonly status: number,
    /** From Retry-After on 429 (and 503), in seconds. */
    readonly retryAfterSeconds?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** Rate limits and server errors pass; bad tokens and missing scopes do not. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}
