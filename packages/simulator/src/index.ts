export {
  FAULT_KINDS,
  type FaultKind,
  type FaultSpec,
  FaultSpecError,
  formatFaultSpec,
  parseFaultSpec,
} from "./faults/fault-spec";
export {
  INVARIANTS,
  type InvariantName,
  type InvariantViolation,
} from "./invariants/invariant-checker";
export { lookaheadFlipped } from "./lookahead-variant";
export { POLICIES } from "./policies";
export { renderHtmlReport } from "./report/html-report";
export type * from "./result";
export { runSimulation, type SimulationOptions } from "./simulate";
export { formatTrace, parseTrace, TraceError } from "./trace/parse-trace";
export type { TraceJob } from "./trace/trace-job";
export { DEFAULT_WORLD, type WorldSettings } from "./world/world-settings";
