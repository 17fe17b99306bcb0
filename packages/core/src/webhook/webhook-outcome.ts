import type { JobEvent } from "../jobs/job-event";
import type { JobStatus } from "../jobs/job-status";
import type { AuthFailure } from "./authenticate";

export type RejectionReason =
  | "payload_too_large"
  | "unsupported_media_type"
  | "malformed_json"
  | "invalid_job_hook"
  | "missing_event_header";

/** Lookahead's writes that failed beside the job's record (halt, duration, lift), for the logs. */
interface LookaheadNotes {
  readonly lookaheadFailures?: readonly string[];
}

/** Everything a webhook request can end in; the HTTP answer, logs and metrics all derive from it. */
export type WebhookOutcome = (
  | ({
      readonly kind: "recorded";
      readonly event: JobEvent;
      readonly previousStatus?: JobStatus;
    } & LookaheadNotes)
  | ({
      readonly kind: "unchanged";
      readonly event: JobEvent;
      readonly currentStatus: JobStatus;
    } & LookaheadNotes)
  | {
      readonly kind: "ignored";
      readonly reason: "not_a_job_event" | "unknown_status";
      readonly detail: string;
    }
  | { readonly kind: "unauthorized"; readonly reason: AuthFailure }
  | {
      readonly kind: "rejected";
      readonly reason: RejectionReason;
      readonly message: string;
      readonly issues?: readonly string[];
    }
) & {
  /** Set once the request is authenticated: which credential did it, for the logs. */
  readonly credential?: string;
};

export interface WebhookResponse {
  readonly statusCode: number;
  readonly body: Readonly<Record<string, unknown>>;
}

const REJECTION_STATUS: Readonly<Record<RejectionReason, number>> = {
  payload_too_large: 413,
  unsupported_media_type: 415,
  malformed_json: 400,
  missing_event_header: 400,
  invalid_job_hook: 422,
};

/** Only bad authentication and bad input get a 4xx: GitLab disables hooks that keep failing. */
export const toWebhookResponse = (outcome: WebhookOutcome): WebhookResponse => {
  switch (outcome.kind) {
    case "recorded":
    case "unchanged":
      return {
        statusCode: 200,
        body: { status: outcome.kind, jobId: outcome.event.jobId, jobStatus: outcome.event.status },
      };
    case "ignored":
      return {
        statusCode: 200,
        body: { status: "ignored", reason: outcome.reason, detail: outcome.detail },
      };
    case "unauthorized":
      // The reason is logged, not returned: a caller without the secret learns nothing.
      return {
        statusCode: 401,
        body: { error: "unauthorized", message: "invalid or missing credentials" },
      };
    case "rejected":
      return {
        statusCode: REJECTION_STATUS[outcome.reason],
        body: {
          error: outcome.reason,
          message: outcome.message,
          ...(outcome.issues && { issues: outcome.issues }),
        },
      };
  }
};
