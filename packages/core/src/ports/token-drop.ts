/**
 * Hands a runner's `glrt-` token to its instance without putting it in user-data (which anyone
 * with ec2:DescribeInstanceAttribute can read, and which stays on the instance).
 */
export type GrantOutcome = "granted" | "consumed";

export interface TokenDrop {
  /** Stores the token under the runner's name, where no instance can read it. Idempotent. */
  put(runnerName: string, token: string): Promise<void>;
  /**
   * Moves the token to where exactly this instance, and no other, reads it: a place named by the
   * instance's id, the one name an instance knows of itself (one launch makes many instances, all
   * tagged alike). Idempotent: when the token no longer waits under the runner's name, because an
   * earlier call moved it, the answer is "consumed", not an error, so a launch resumed after that
   * point can still finish. `held` is the token when the caller still holds it (it put it in
   * this invocation): the waiting copy need not be read back.
   */
  grant(runnerName: string, instanceId: string, held?: string): Promise<GrantOutcome>;
  /** Removes it wherever it waits (under the instance's id too, given one); gone is not an error. */
  remove(runnerName: string, instanceId?: string): Promise<void>;
}
