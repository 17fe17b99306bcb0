import type { SimulationSummary } from "../../src/result";

/** What a run must end with: no job lost, nothing left behind, no invariant broken. */
export const clean = (summary: SimulationSummary) => ({
  lostJobs: summary.lostJobs,
  leaks: [
    summary.leakedInstances,
    summary.leakedRunners,
    summary.leakedTokens,
    summary.leakedSlots,
  ],
  invariantViolations: summary.invariantViolations,
});

export const CLEAN = { lostJobs: 0, leaks: [0, 0, 0, 0], invariantViolations: [] };
