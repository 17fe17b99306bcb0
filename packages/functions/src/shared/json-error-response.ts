import type { Logger } from "@aws-lambda-powertools/logger";
import { ConfigurationError } from "@ger/core";
import type middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { jsonResponse } from "./http";

type Request = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

/**
 * Turns an unexpected error into a JSON 5xx that says nothing internal, and logs it in full.
 * A missing or malformed secret is a 503 with the fix in the log: the operator must act.
 */
export const jsonErrorResponse = (
  logger: Logger,
): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> => ({
  onError: async (request: Request) => {
    if (request.response !== undefined) return;
    const error = request.error;
    if (error instanceof ConfigurationError) {
      logger.error("not configured", { error });
      request.response = jsonResponse(503, {
        error: "not_configured",
        message: "the autoscaler is not configured yet",
      });
      return;
    }
    logger.error("unexpected error", { error: error ?? undefined });
    request.response = jsonResponse(500, {
      error: "internal_error",
      message: "the request could not be processed",
    });
  },
});
