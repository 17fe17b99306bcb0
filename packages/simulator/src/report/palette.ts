import type { PolicyName, SimulationSummary } from "../result";

/** Okabe–Ito colours, told apart with any colour vision; lines also differ by dash. */
export const STATE_COLORS = {
  busy: "#009E73",
  idle: "#E69F00",
  booting: "#56B4E9",
  stopping: "#999999",
} as const;

export const JOB_COLORS = { pending: "#D55E00" } as const;

export const POLICY_STYLES: Record<PolicyName, { readonly color: string; readonly dash?: string }> =
  {
    default: { color: "#0072B2" },
    "per-job": { color: "#D55E00", dash: "7 4" },
    "idle-pool": { color: "#CC79A7", dash: "2 3" },
  };

/** A variant of a policy (the default with lookahead flipped) is drawn in black, dash-dotted. */
const VARIANT_STYLE = { color: "#000000", dash: "6 3 1 3" } as const;

export const styleOf = (
  summary: SimulationSummary,
): { readonly color: string; readonly dash?: string } =>
  summary.label === summary.policy ? POLICY_STYLES[summary.policy] : VARIANT_STYLE;
