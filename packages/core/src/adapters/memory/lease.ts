import type { Lease } from "../../ports/lease";

export class InMemoryLease implements Lease {
  private readonly held = new Map<string, { holder: string; until: number }>();

  async tryAcquire(name: string, holder: string, seconds: number, now: Date): Promise<boolean> {
    const current = this.held.get(name);
    if (current && current.holder !== holder && current.until > now.getTime()) return false;
    this.held.set(name, { holder, until: now.getTime() + seconds * 1000 });
    return true;
  }

  async release(name: string, holder: string): Promise<void> {
    if (this.held.get(name)?.holder === holder) this.held.delete(name);
  }
}
