import type { GrantOutcome, TokenDrop } from "../../ports/token-drop";

/**
 * Tokens in memory, readable by the one instance granted, as the SSM adapter enforces with IAM;
 * held to the SSM adapter's behaviour by a contract test.
 */
export class InMemoryTokenDrop implements TokenDrop {
  readonly tokens = new Map<string, { token: string; instanceId?: string }>();

  async put(runnerName: string, token: string): Promise<void> {
    this.tokens.set(runnerName, { token });
  }

  async grant(runnerName: string, instanceId: string): Promise<GrantOutcome> {
    const entry = this.tokens.get(runnerName);
    if (!entry) return "consumed";
    this.tokens.set(runnerName, { ...entry, instanceId });
    return "granted";
  }

  async remove(runnerName: string): Promise<void> {
    this.tokens.delete(runnerName);
  }

  /** What an instance gets when it asks for its token: nothing unless it was granted. */
  read(runnerName: string, instanceId: string): string | undefined {
    const entry = this.tokens.get(runnerName);
    return entry?.instanceId === instanceId ? entry.token : undefined;
  }
}
