export type { Observability } from "./shared/observability";
export { createObservability, publishMetrics } from "./shared/observability";
