import type { GrantOutcome, TokenDrop } from "../../ports/token-drop";

/**
 * Tokens in memory, readable by the one instance granted, as the SSM adapter enforces with IAM;
 * held to the SSM adapter's behaviour by a contract test.
 */
export class InMemoryTokenDrop implements TokenDrop {
  /** Tokens put and not yet granted, by runner name. */
  readonly waiting = new Map<string, string>();
  /** Tokens granted and not yet taken, by instance id. */
  readonly granted = new Map<string, string>();

  async put(runnerName: string, token: string): Promise<void> {
    this.waiting.set(runnerName, token);
  }

  async grant(runnerName: string, instanceId: string, held?: string): Promise<GrantOutcome> {
    const token = held ?? this.waiting.get(runnerName);
    if (token === undefined) return "consumed";
    this.granted.set(instanceId, token);
    this.waiting.delete(runnerName);
    return "granted";
  }

  async remove(runnerName: string, instanceId?: string): Promise<void> {
    this.waiting.delete(runnerName);
    if (instanceId !== undefined) this.granted.delete(instanceId);
  }

  /** What an instance gets when it asks for its token, by its own id: nothing unless granted. */
  read(instanceId: string): string | undefined {
    return this.granted.get(instanceId);
  }

  /** What an instance's user-data does: read its token, then delete it. */
  take(instanceId: string): string | undefined {
    const token = this.granted.get(instanceId);
    this.granted.delete(instanceId);
    return token;
  }

  /** Tokens stored anywhere: zero once every runner is gone. */
  get stored(): number {
    return this.waiting.size + this.granted.size;
  }
}
