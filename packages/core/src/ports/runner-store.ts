import type { RunnerRecord, RunnerState } from "../runners/runner-record";

export interface CapacityCaps {
  readonly poolMaxInstances: number;
  readonly globalMaxInstances: number;
}

export type ReserveOutcome = "reserved" | "pool_full" | "global_full";

/** Slots in use per pool and in total, as the ledger holds them. */
export interface LedgerView {
  readonly global: number;
  readonly byPool: Readonly<Record<string, number>>;
}

export type RunnerChanges = Partial<
  Omit<RunnerRecord, "name" | "pool" | "createdAt" | "updatedAt">
>;

/**
 * Runner records and the capacity ledger, kept in step: a slot is taken in the same atomic write
 * that creates a record, and given back in the one that marks it gone, so slots in use always
 * equal live records and concurrent scalers can never pass a cap.
 */
export interface RunnerStore {
  /** Creates a `reserved` record if both the pool and the fleet have room. */
  reserve(runner: RunnerRecord, caps: CapacityCaps): Promise<ReserveOutcome>;
  /** Moves a record on if it is still in one of `from`; undefined when it was not (someone else moved it). */
  transition(
    name: string,
    from: readonly RunnerState[],
    changes: RunnerChanges,
    at: Date,
  ): Promise<RunnerRecord | undefined>;
  /** Marks a record gone and gives its slot back, once; false when it was not in one of `from`. */
  release(name: string, from: readonly RunnerState[], at: Date): Promise<boolean>;
  get(name: string): Promise<RunnerRecord | undefined>;
  /** Every record not gone. */
  listLive(): Promise<RunnerRecord[]>;
  ledger(): Promise<LedgerView>;
}
