import { MetricName, type MetricPoint } from "../metrics";
import type { WebhookOutcome } from "./webhook-outcome";

/** The counts one webhook outcome adds. */
export const webhookMetrics = (outcome: WebhookOutcome): MetricPoint[] => {
  switch (outcome.kind) {
    case "recorded":
      return [
        {
          name: MetricName.JobEventsReceived,
          value: 1,
          dimensions: { Status: outcome.event.status },
        },
      ];
    case "unchanged":
      return [{ name: MetricName.JobEventsUnchanged, value: 1 }];
    case "ignored":
      return [
        { name: MetricName.WebhookIgnored, value: 1, dimensions: { Reason: outcome.reason } },
      ];
    case "unauthorized":
      return [
        { name: MetricName.WebhookAuthFailures, value: 1, dimensions: { Reason: outcome.reason } },
      ];
    case "rejected":
      return [
        { name: MetricName.WebhookRejected, value: 1, dimensions: { Reason: outcome.reason } },
      ];
  }
};
