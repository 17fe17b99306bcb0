import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { MetricName, receiveJobWebhook, toWebhookResponse, webhookMetrics } from "@ger/core";
import type { WebhookDependencies } from "@ger/core/types";
import middy from "@middy/core";
import httpHeaderNormalizer from "@middy/http-header-normalizer";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { jsonResponse, lowerCaseHeaders, rawBody } from "../shared/http";
import { jsonErrorResponse } from "../shared/json-error-response";
import { type Observability, publishMetrics } from "../shared/observability";
import { logOutcome } from "./log-outcome";

/** The webhook Lambda, whatever adapters it is given: AWS in Lambda, local ones in `npm start`. */
export const createWebhookHandler = (
  deps: WebhookDependencies,
  { logger, metrics }: Observability,
) =>
  middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(httpHeaderNormalizer())
    .use(jsonErrorResponse(logger))
    .handler(async (event) => {
      const request = { headers: lowerCaseHeaders(event), body: rawBody(event) };
      const outcome = await receiveJobWebhook(request, deps);
      logOutcome(logger, request, outcome);
      publishMetrics(metrics, [
        { name: MetricName.WebhookRequests, value: 1 },
        ...webhookMetrics(outcome),
      ]);
      const response = toWebhookResponse(outcome);
      return jsonResponse(response.statusCode, response.body);
    });
