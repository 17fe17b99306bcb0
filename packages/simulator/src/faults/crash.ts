import type { Faults } from "./faults";

/** The control plane's process died (Lambda's timeout, an out-of-memory kill, a lost container). */
export class Crash extends Error {
  override readonly name = "Crash";
}

/**
 * One invocation's fate: it lives, or it dies after its `afterCalls`-th call to a port. Once dead,
 * every later call fails (a dead process makes none), also from work the core left running.
 */
export class InvocationFate {
  calls = 0;
  crashed = false;

  constructor(readonly afterCalls: number = Number.POSITIVE_INFINITY) {}

  /** Whether the next call may go through; false once the process is dead. */
  admit(): boolean {
    if (!this.crashed && this.calls >= this.afterCalls) this.crashed = true;
    if (this.crashed) return false;
    this.calls += 1;
    return true;
  }
}

/**
 * The port with every method call counted against `fate`: a call past the fatal one answers a
 * rejected Crash and never reaches the port. The port's state (the store's) survives, as a table
 * survives its Lambda.
 */
export const crashable = <T extends object>(port: T, fate: InvocationFate): T =>
  new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) =>
        fate.admit()
          ? method.apply(target, args)
          : Promise.reject(new Crash(`crashed after call ${fate.afterCalls}`));
    },
  });

/**
 * Decides each invocation's fate: with the crash probability it dies after its N-th port call, N
 * uniform from 1 to one less than the most calls an invocation of that function has made (so the
 * crash falls between two calls); an invocation that makes no more than N calls lives.
 */
export class CrashPlanner {
  private readonly mostCalls = new Map<string, number>();

  constructor(private readonly faults: Faults) {}

  get enabled(): boolean {
    return this.faults.probability("crash") > 0;
  }

  fate(fn: string): InvocationFate {
    if (!this.faults.roll("crash")) return new InvocationFate();
    const most = Math.max(2, this.mostCalls.get(fn) ?? 2);
    const random = this.faults.random("crash");
    return new InvocationFate(1 + Math.floor(random.next() * (most - 1)));
  }

  /** After the invocation: learns how many calls it made; true when it crashed (and counts it). */
  settle(fn: string, fate: InvocationFate): boolean {
    this.mostCalls.set(fn, Math.max(this.mostCalls.get(fn) ?? 0, fate.calls));
    if (fate.crashed) this.faults.note("crash");
    return fate.crashed;
  }
}
