import { MetricName, type MetricPoint } from "../metrics";

export type ThrottledApi = "GitLab" | "EC2";

/** Counts the calls an API refused for rate (429, RequestLimitExceeded) between two metric flushes. */
export class ThrottleCounter {
  private readonly counts = new Map<ThrottledApi, number>();

  note(api: ThrottledApi): void {
    this.counts.set(api, (this.counts.get(api) ?? 0) + 1);
  }

  /** The counts since the last call, as metric points; starts again from zero. */
  take(): MetricPoint[] {
    const points = [...this.counts].map(([api, value]) => ({
      name: MetricName.ApiThrottles,
      value,
      dimensions: { Api: api },
    }));
    this.counts.clear();
    return points;
  }
}
