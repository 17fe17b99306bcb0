/**
 * Hands a runner's `glrt-` token to its instance without putting it in user-data (which anyone
 * with ec2:DescribeInstanceAttribute can read, and which stays on the instance).
 */
export type GrantOutcome = "granted" | "consumed";

export interface TokenDrop {
  /** Stores the token where no instance can read it yet. Idempotent. */
  put(runnerName: string, token: string): Promise<void>;
  /**
   * Lets exactly this instance read it. Idempotent: when the token is gone, because the instance an
   * earlier call granted it to has read and deleted it, the answer is "consumed", not an error, so
   * a launch resumed after that point can still finish.
   */
  grant(runnerName: string, instanceId: string): Promise<GrantOutcome>;
  /** Removes it; a token already removed is not an error. */
  remove(runnerName: string): Promise<void>;
}
