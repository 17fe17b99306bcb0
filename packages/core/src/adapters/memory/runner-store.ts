import type {
  CapacityCaps,
  LedgerView,
  ReserveOutcome,
  RunnerChanges,
  RunnerStore,
  TakeOutcome,
} from "../../ports/runner-store";
import { keptFrom, type Registration, takingOver } from "../../runners/registration";
import type { RunnerRecord, RunnerState } from "../../runners/runner-record";

const add = (counts: Map<string, number>, key: string, by: number) =>
  counts.set(key, (counts.get(key) ?? 0) + by);

/** RunnerStore in memory, for the simulator and unit tests; same contract as DynamoDB's. */
export class InMemoryRunnerStore implements RunnerStore {
  /** What the live-runners GSI holds: every runner not yet gone, in the order reserved. */
  private readonly live = new Map<string, RunnerRecord>();
  /**
   * Retired runners, out of the live index: `get` still reads them and their names stay taken, as
   * DynamoDB keeps a gone record (without its GSI keys) until its TTL.
   */
  private readonly gone = new Map<string, RunnerRecord>();
  private readonly slots = new Map<string, number>();
  private readonly registrations = new Map<string, number>();
  private slotsInUse = 0;
  /** Registrations kept between jobs, by name, in the order freed. */
  private readonly kept = new Map<string, Registration>();

  async reserve(runner: RunnerRecord, caps: CapacityCaps): Promise<ReserveOutcome> {
    if (this.live.has(runner.name) || this.gone.has(runner.name))
      throw new Error(`runner ${runner.name} exists already`);
    if ((this.slots.get(runner.pool) ?? 0) >= caps.poolMaxInstances) return "pool_full";
    if (this.slotsInUse >= caps.globalMaxInstances) return "global_full";
    const { registrations } = caps;
    if (registrations && (this.registrations.get(registrations.scope) ?? 0) >= registrations.max)
      return "scope_full";
    this.live.set(runner.name, {
      ...runner,
      ...(registrations && { registrationScope: registrations.scope }),
      state: "reserved",
    });
    this.slots.set(runner.pool, (this.slots.get(runner.pool) ?? 0) + 1);
    if (registrations) add(this.registrations, registrations.scope, 1);
    this.slotsInUse += 1;
    return "reserved";
  }

  async transition(
    name: string,
    from: readonly RunnerState[],
    changes: RunnerChanges,
    at: Date,
  ): Promise<RunnerRecord | undefined> {
    if (changes.state === "gone") throw new Error("use release() to retire a runner");
    // Gone is final: only live records move.
    const runner = this.live.get(name);
    if (!runner || !from.includes(runner.state)) return undefined;
    const updated = { ...runner, ...changes, updatedAt: at.toISOString() };
    this.live.set(name, updated);
    return updated;
  }

  async release(name: string, from: readonly RunnerState[], at: Date): Promise<boolean> {
    const runner = this.live.get(name);
    if (!runner || !from.includes(runner.state)) return false;
    this.live.delete(name);
    this.gone.set(name, { ...runner, state: "gone", updatedAt: at.toISOString() });
    this.slots.set(runner.pool, (this.slots.get(runner.pool) ?? 0) - 1);
    if (runner.registrationScope) add(this.registrations, runner.registrationScope, -1);
    this.slotsInUse -= 1;
    return true;
  }

  async takeRegistration(
    runner: RunnerRecord,
    fingerprint: string,
    caps: Omit<CapacityCaps, "registrations">,
  ): Promise<TakeOutcome> {
    if (this.live.has(runner.name) || this.gone.has(runner.name))
      throw new Error(`runner ${runner.name} exists already`);
    const free = [...this.kept.values()]
      .reverse()
      .find(
        (kept) =>
          kept.state === "free" && kept.pool === runner.pool && kept.fingerprint === fingerprint,
      );
    if (!free) return "none_free";
    if ((this.slots.get(runner.pool) ?? 0) >= caps.poolMaxInstances) return "pool_full";
    if (this.slotsInUse >= caps.globalMaxInstances) return "global_full";
    this.kept.delete(free.name);
    const record = takingOver(runner, free);
    this.live.set(runner.name, record);
    this.slots.set(runner.pool, (this.slots.get(runner.pool) ?? 0) + 1);
    this.slotsInUse += 1;
    return record;
  }

  async retainRegistration(
    name: string,
    from: readonly RunnerState[],
    registration: Omit<Registration, "state" | "freeSince" | "registrationScope">,
    at: Date,
  ): Promise<boolean> {
    const runner = this.live.get(name);
    if (!runner || !from.includes(runner.state) || this.kept.has(registration.name)) return false;
    this.live.delete(name);
    this.gone.set(name, { ...runner, state: "gone", updatedAt: at.toISOString() });
    this.slots.set(runner.pool, (this.slots.get(runner.pool) ?? 0) - 1);
    this.slotsInUse -= 1;
    this.kept.set(registration.name, keptFrom(runner, registration, at));
    return true;
  }

  async listRegistrations(): Promise<Registration[]> {
    return [...this.kept.values()];
  }

  async expireRegistration(name: string): Promise<boolean> {
    const kept = this.kept.get(name);
    if (kept?.state !== "free") return false;
    this.kept.set(name, { ...kept, state: "expiring" });
    return true;
  }

  async dropRegistration(name: string): Promise<boolean> {
    const kept = this.kept.get(name);
    if (kept?.state !== "expiring") return false;
    this.kept.delete(name);
    if (kept.registrationScope) add(this.registrations, kept.registrationScope, -1);
    return true;
  }

  async get(name: string): Promise<RunnerRecord | undefined> {
    return this.live.get(name) ?? this.gone.get(name);
  }

  async listLive(): Promise<RunnerRecord[]> {
    return [...this.live.values()];
  }

  async ledger(): Promise<LedgerView> {
    return {
      global: this.slotsInUse,
      byPool: Object.fromEntries(this.slots),
      byScope: Object.fromEntries(this.registrations),
    };
  }
}
