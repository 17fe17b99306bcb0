import type { Logger } from "@aws-lambda-powertools/logger";
import type { WebhookOutcome, WebhookRequest } from "@ger/core/types";

// Only these headers are logged; X-Gitlab-Token and the signature never are.
const TRACED_HEADERS = {
  gitlabEvent: "x-gitlab-event",
  idempotencyKey: "idempotency-key",
  webhookUuid: "x-gitlab-webhook-uuid",
  eventUuid: "x-gitlab-event-uuid",
  gitlabInstance: "x-gitlab-instance",
  userAgent: "user-agent",
} as const;

const outcomeFields = (outcome: WebhookOutcome): Record<string, unknown> => {
  switch (outcome.kind) {
    case "recorded":
    case "unchanged": {
      const { jobId, projectId, status } = outcome.event;
      const previous = outcome.kind === "recorded" ? outcome.previousStatus : outcome.currentStatus;
      return {
        jobId,
        projectId,
        jobStatus: status,
        storedStatus: previous,
        ...(outcome.lookaheadFailures && { lookaheadFailures: outcome.lookaheadFailures }),
      };
    }
    case "ignored":
    case "unauthorized":
      return { reason: outcome.reason, ...("detail" in outcome && { detail: outcome.detail }) };
    case "rejected":
      return { reason: outcome.reason, detail: outcome.message, issues: outcome.issues };
  }
};

export const logOutcome = (
  logger: Logger,
  request: WebhookRequest,
  outcome: WebhookOutcome,
): void => {
  const traced = Object.fromEntries(
    Object.entries(TRACED_HEADERS).map(([field, header]) => [field, request.headers[header]]),
  );
  const fields = {
    outcome: outcome.kind,
    ...outcomeFields(outcome),
    // Which hook's credential it was (project:<id>, group:<name>, shared); the token never is.
    credential: outcome.credential,
    ...traced,
  };
  if (outcome.kind === "unauthorized" || outcome.kind === "rejected") {
    logger.warn("webhook refused", fields);
  } else if ("lookaheadFailures" in outcome && outcome.lookaheadFailures) {
    logger.warn("webhook handled; a lookahead write failed", fields);
  } else {
    logger.info("webhook handled", fields);
  }
};
