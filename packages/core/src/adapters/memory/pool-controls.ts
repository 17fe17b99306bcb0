import type { PoolControls } from "../../ports/pool-controls";

export class InMemoryPoolControls implements PoolControls {
  private readonly drained = new Set<string>();

  async drainedPools(): Promise<ReadonlySet<string>> {
    return new Set(this.drained);
  }

  async setDrained(pool: string, drained: boolean): Promise<void> {
    if (drained) this.drained.add(pool);
    else this.drained.delete(pool);
  }
}
