/**
 * Hands a runner's `glrt-` token to its instance without putting it in user-data (which anyone
 * with ec2:DescribeInstanceAttribute can read, and which stays on the instance).
 */
export interface TokenDrop {
  /** Stores the token where no instance can read it yet. Idempotent. */
  put(runnerName: string, token: string): Promise<void>;
  /** Lets exactly this instance read it. */
  grant(runnerName: string, instanceId: string): Promise<void>;
  /** Removes it; a token already removed is not an error. */
  remove(runnerName: string): Promise<void>;
}
