export { POLICIES } from "./policies";
export { renderHtmlReport } from "./report/html-report";
export type * from "./result";
export { runSimulation, type SimulationOptions } from "./simulate";
export { formatTrace, parseTrace, TraceError } from "./trace/parse-trace";
export type { TraceJob } from "./trace/trace-job";
export { DEFAULT_WORLD, type WorldSettings } from "./world/world-settings";
