import type { Registration } from "../runners/registration";
import type { RunnerRecord, RunnerState } from "../runners/runner-record";

export interface CapacityCaps {
  readonly poolMaxInstances: number;
  readonly globalMaxInstances: number;
  /** The GitLab group or project whose registered runners this one counts among, and their cap. */
  readonly registrations?: { readonly scope: string; readonly max: number };
}

export type ReserveOutcome = "reserved" | "pool_full" | "global_full" | "scope_full";

/** The record made with a free registration, or why none was made. */
export type TakeOutcome = RunnerRecord | "none_free" | "pool_full" | "global_full";

/** Slots in use per pool, per GitLab group or project and in total, as the ledger holds them. */
export interface LedgerView {
  readonly global: number;
  readonly byPool: Readonly<Record<string, number>>;
  /** Registrations per GitLab group or project (`group#42`), counted from reservation to release. */
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
  /**
   * Creates the runner's record `registered`, running as a free registration of its pool made
   * with `fingerprint` (the most recently freed one), if the pool and the fleet have room: the
   * registration's item is gone in the same write, its scope slot passes to the record, and no
   * other runner can take it. "none_free" when no such registration is free.
   */
  takeRegistration(
    runner: RunnerRecord,
    fingerprint: string,
    caps: Omit<CapacityCaps, "registrations">,
  ): Promise<TakeOutcome>;
  /**
   * Marks a record gone, as release does, and keeps its GitLab runner as a free registration (its
   * token reset and stored by the caller): the record's scope slot stays taken, by the
   * registration, which keeps the record's scope. False when the record was not in one of `from`.
   */
  retainRegistration(
    name: string,
    from: readonly RunnerState[],
    registration: Omit<Registration, "state" | "freeSince" | "registrationScope">,
    at: Date,
  ): Promise<boolean>;
  /** Every registration kept between jobs, free or expiring. */
  listRegistrations(): Promise<Registration[]>;
  /** free → expiring: no runner takes it any more. False when it was taken or expired meanwhile. */
  expireRegistration(name: string): Promise<boolean>;
  /** Forgets an expiring registration (its GitLab runner deleted) and gives its scope slot back, once. */
  dropRegistration(name: string): Promise<boolean>;
  get(name: string): Promise<RunnerRecord | undefined>;
  /** Every record not gone. */
  listLive(): Promise<RunnerRecord[]>;
  ledger(): Promise<LedgerView>;
}
