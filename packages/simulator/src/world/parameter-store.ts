import { InMemoryTokenDrop } from "@ger/core";
import type { GrantOutcome, TokenDrop } from "@ger/core/types";
import { RefusingBucket } from "./refusing-bucket";
import type { VirtualTime } from "./virtual-time";
import type { Bucket } from "./world-settings";

/** Parameter Store's answer to a call over its throughput, as the SDK surfaces it once its retries are spent. */
export class ThrottlingException extends Error {
  override readonly name = "ThrottlingException";
}

export type ParameterStoreCall = "GetParameter" | "PutParameter" | "DeleteParameter";

export interface ParameterStoreLimits {
  /** GetParameter(s) and PutParameter share one throughput per account and region. */
  readonly getPut: Bucket;
  /** DeleteParameter's own, which AWS does not publish. */
  readonly delete: Bucket;
}

/**
 * The tokens as the SSM adapter stores them (`SsmTokenDrop`), call for call: `put` is a
 * PutParameter; `grant` a GetParameter (unless the caller holds the token) and, for a token still
 * waiting, a PutParameter under the instance's name and a DeleteParameter of the runner-named one; `remove` one DeleteParameter per
 * name it may be under. The instance's user-data reads with GetParameter and deletes after. Every
 * call draws on Parameter Store's throughput; past it, the call fails with ThrottlingException.
 */
export class ParameterStoreTokenDrop implements TokenDrop {
  readonly calls: Record<ParameterStoreCall, number> = {
    GetParameter: 0,
    PutParameter: 0,
    DeleteParameter: 0,
  };
  /** Calls refused for throughput. */
  throttled = 0;
  private readonly tokens = new InMemoryTokenDrop();
  private readonly getPut: RefusingBucket;
  private readonly deletes: RefusingBucket;

  constructor(time: VirtualTime, limits: ParameterStoreLimits) {
    const now = () => time.nowMillis;
    this.getPut = new RefusingBucket(limits.getPut.capacity, limits.getPut.perSecond, now);
    this.deletes = new RefusingBucket(limits.delete.capacity, limits.delete.perSecond, now);
  }

  async put(runnerName: string, token: string): Promise<void> {
    this.call("PutParameter");
    await this.tokens.put(runnerName, token);
  }

  async grant(runnerName: string, instanceId: string, held?: string): Promise<GrantOutcome> {
    if (held === undefined) {
      this.call("GetParameter");
      if (!this.tokens.waiting.has(runnerName)) return "consumed";
    }
    this.call("PutParameter");
    // The instance may read its token from here on; a throttled delete of the runner-named copy
    // fails the grant, whose retry finds the token granted (the model keeps one copy, not two).
    const outcome = await this.tokens.grant(runnerName, instanceId, held);
    this.call("DeleteParameter");
    return outcome;
  }

  async remove(runnerName: string, instanceId?: string): Promise<void> {
    this.call("DeleteParameter");
    if (instanceId !== undefined) this.call("DeleteParameter");
    await this.tokens.remove(runnerName, instanceId);
  }

  /**
   * The instance reads its token, and deletes it if it got one (best effort, as its user-data:
   * a throttled delete leaves the parameter to the runner's retirement). Throws when throttled.
   */
  take(instanceId: string): string | undefined {
    this.call("GetParameter");
    const token = this.tokens.read(instanceId);
    if (token === undefined) return undefined;
    try {
      this.call("DeleteParameter");
      this.tokens.take(instanceId);
    } catch (error) {
      if (!(error instanceof ThrottlingException)) throw error;
    }
    return token;
  }

  /** Tokens stored anywhere: zero once every runner is gone, but those of kept registrations. */
  get stored(): number {
    return this.tokens.stored;
  }

  /** Whether a token waits under this name (a registration kept between jobs has one). */
  waitsUnder(name: string): boolean {
    return this.tokens.waiting.has(name);
  }

  get totalCalls(): number {
    return this.calls.GetParameter + this.calls.PutParameter + this.calls.DeleteParameter;
  }

  private call(name: ParameterStoreCall): void {
    this.calls[name] += 1;
    const bucket = name === "DeleteParameter" ? this.deletes : this.getPut;
    if (bucket.tryTake()) return;
    this.throttled += 1;
    throw new ThrottlingException(`Rate exceeded (${name})`);
  }
}
