import type {
  CapacityCaps,
  LedgerView,
  ReserveOutcome,
  RunnerChanges,
  RunnerStore,
} from "../../ports/runner-store";
import type { RunnerRecord, RunnerState } from "../../runners/runner-record";

/** RunnerStore in memory, for the simulator and unit tests; same contract as DynamoDB's. */
export class InMemoryRunnerStore implements RunnerStore {
  private readonly runners = new Map<string, RunnerRecord>();
  private readonly slots = new Map<string, number>();
  private slotsInUse = 0;

  async reserve(runner: RunnerRecord, caps: CapacityCaps): Promise<ReserveOutcome> {
    if (this.runners.has(runner.name)) throw new Error(`runner ${runner.name} exists already`);
    if ((this.slots.get(runner.pool) ?? 0) >= caps.poolMaxInstances) return "pool_full";
    if (this.slotsInUse >= caps.globalMaxInstances) return "global_full";
    this.runners.set(runner.name, { ...runner, state: "reserved" });
    this.slots.set(runner.pool, (this.slots.get(runner.pool) ?? 0) + 1);
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
    const runner = this.runners.get(name);
    if (!runner || !from.includes(runner.state)) return undefined;
    const updated = { ...runner, ...changes, updatedAt: at.toISOString() };
    this.runners.set(name, updated);
    return updated;
  }

  async release(name: string, from: readonly RunnerState[], at: Date): Promise<boolean> {
    const runner = this.runners.get(name);
    if (!runner || runner.state === "gone" || !from.includes(runner.state)) return false;
    this.runners.set(name, { ...runner, state: "gone", updatedAt: at.toISOString() });
    this.slots.set(runner.pool, (this.slots.get(runner.pool) ?? 0) - 1);
    this.slotsInUse -= 1;
    return true;
  }

  async get(name: string): Promise<RunnerRecord | undefined> {
    return this.runners.get(name);
  }

  async listLive(): Promise<RunnerRecord[]> {
    return [...this.runners.values()].filter((runner) => runner.state !== "gone");
  }

  async ledger(): Promise<LedgerView> {
    return { global: this.slotsInUse, byPool: Object.fromEntries(this.slots) };
  }
}
