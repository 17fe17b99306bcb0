import type { RunnerRecord, RunnerState } from "../runners/runner-record";

export interface CapacityCaps {
  readonly poolMaxInstances: number;
  readonly globalMaxInstances: number;
  /** The GitLab group's or project's registered-runner cap the runner counts against, if any. */
  readonly registrations?: { readonly scope: string; readonly max: number };
}

export type ReserveOutcome = "reserved" | "pool_full" | "global_full" | "scope_full";

/** Slots in use per pool, per capped GitLab scope and in total, as the ledger holds them. */
export interface LedgerView {
  readonly global: number;
  readonly byPool: Readonly<Record<string, number>>;
  /** Registrations per capped scope (`group#42`), counted from reservation to release. */
  readonly byScope: Readonly<Record<string, number>>;
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
  /**
   * Creates a `reserved` record if the pool, the fleet and the GitLab scope (when capped) have
   * room; the record keeps its scope (`registrationScope`) so that release gives it back there.
   */
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
