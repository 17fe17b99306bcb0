import type { PoolConfig } from "@ger/core/types";
import type { Faults } from "./faults";

/** What one CreateFleet in one market gives: instances of one type, and the per-override errors. */
export interface FleetAnswer {
  readonly count: number;
  readonly instanceType: string;
  readonly errors: readonly string[];
}

const INSUFFICIENT = "InsufficientInstanceCapacity";

/**
 * EC2's capacity for one CreateFleet of `wanted` instances. Without the capacity fault, all of
 * them, of the pool's first type. When it strikes, one of three, equally likely, as EC2 answers:
 * the whole call refused (InsufficientInstanceCapacity); some overrides (type × subnet) short,
 * each with one chance in two, the fleet filled from the first type still open (none when all are
 * short); or the fleet filled in part, fewer instances than asked (maybe none), an error for the
 * rest.
 */
export const fleetAnswer = (faults: Faults, pool: PoolConfig, wanted: number): FleetAnswer => {
  const { types, subnets } = pool.instance;
  const first = types[0] ?? "unknown";
  if (!faults.strike("capacity")) return { count: wanted, instanceType: first, errors: [] };
  const random = faults.random("capacity");
  const mode = random.next();
  if (mode < 1 / 3) return { count: 0, instanceType: first, errors: [INSUFFICIENT] };
  if (mode < 2 / 3) {
    const overrides = types.flatMap((type) =>
      subnets.map(() => ({ type, short: random.chance(0.5) })),
    );
    const open = overrides.find((override) => !override.short);
    const errors = overrides.filter((override) => override.short).map(() => INSUFFICIENT);
    return open
      ? { count: wanted, instanceType: open.type, errors }
      : { count: 0, instanceType: first, errors };
  }
  const count = Math.floor(random.next() * wanted);
  return { count, instanceType: first, errors: [INSUFFICIENT] };
};
