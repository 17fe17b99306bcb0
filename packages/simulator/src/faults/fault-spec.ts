/**
 * The faults a run can inject, each with the probability it strikes at its chance (a hook sent, a
 * call made, a job started, an invocation run). What each one does, and where, is in faults.ts.
 */
export const FAULT_KINDS = [
  "duplicate",
  "reorder",
  "drop",
  "capacity",
  "throttle",
  "gitlab5xx",
  "spot",
  "slowboot",
  "statuslag",
  "eventdrop",
  "crash",
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** Probability per kind, 0 to 1; a kind left out never strikes. */
export type FaultSpec = Readonly<Partial<Record<FaultKind, number>>>;

/** A --faults value the simulator cannot read. */
export class FaultSpecError extends Error {
  override readonly name = "FaultSpecError";
}

const isKind = (name: string): name is FaultKind =>
  (FAULT_KINDS as readonly string[]).includes(name);

const PROBABILITY = /^(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/;

/** `kind=probability,…`, e.g. `drop=0.25,spot=0.05`; a kind named twice is an error. */
export const parseFaultSpec = (text: string): FaultSpec => {
  const spec: Partial<Record<FaultKind, number>> = {};
  const entries = text.split(",").map((entry) => entry.trim());
  if (entries.every((entry) => entry === ""))
    throw new FaultSpecError("no faults given: expected kind=probability,…");
  for (const entry of entries) {
    const [kind = "", probability, ...rest] = entry.split("=").map((part) => part.trim());
    if (!isKind(kind))
      throw new FaultSpecError(
        `unknown fault '${kind}' in '${entry}': one of ${FAULT_KINDS.join(", ")}`,
      );
    if (probability === undefined || rest.length > 0 || !PROBABILITY.test(probability))
      throw new FaultSpecError(
        `fault ${kind}: the probability must be a number from 0 to 1, got '${entry.slice(kind.length + 1)}'`,
      );
    if (spec[kind] !== undefined) throw new FaultSpecError(`fault ${kind} is given twice`);
    spec[kind] = Number(probability);
  }
  return spec;
};

/** The spec as --faults takes it, kinds in their fixed order; empty for none. */
export const formatFaultSpec = (spec: FaultSpec): string =>
  FAULT_KINDS.filter((kind) => (spec[kind] ?? 0) > 0)
    .map((kind) => `${kind}=${spec[kind]}`)
    .join(",");

/** Every kind, with what it was given or 0: the shape of `faultsInjected`. */
export const perKind = <T>(value: (kind: FaultKind) => T): Record<FaultKind, T> =>
  Object.fromEntries(FAULT_KINDS.map((kind) => [kind, value(kind)])) as Record<FaultKind, T>;
