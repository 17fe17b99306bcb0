/**
 * A seeded random source (mulberry32): the same seed gives the same run, on any machine. Not for
 * secrets; the simulator's world and the trace generator only.
 */
export class SeededRandom {
  private state: number;

  constructor(private readonly seed: number) {
    this.state = seed >>> 0;
  }

  /**
   * A stream of its own for `label`, seeded from this one's seed and the label (FNV-1a): what one
   * part of the world draws, so drawing more or less elsewhere does not change its draws.
   */
  derive(label: string): SeededRandom {
    let hash = 0x811c9dc5 ^ (this.seed >>> 0);
    for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
    return new SeededRandom(hash >>> 0);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with this median and this 95th percentile. */
  logNormal(median: number, p95: number): number {
    const sigma = Math.log(p95 / median) / 1.6448536269514722;
    return median * Math.exp(sigma * this.normal());
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One of the items, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}
