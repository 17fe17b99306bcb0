/** Operator switches per pool; today one: drained (no new launches, runners finish and go). */
export interface PoolControls {
  drainedPools(): Promise<ReadonlySet<string>>;
  setDrained(pool: string, drained: boolean): Promise<void>;
}
