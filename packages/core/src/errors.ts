/** Base of every error this project throws on purpose. */
export class AutoscalerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting or secret is missing or malformed: retrying will not help until an operator fixes it. */
export class ConfigurationError extends AutoscalerError {}
