import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/** The body as GitLab sent it: HTTP APIs base64-encode bodies they do not consider text. */
export const rawBody = (event: APIGatewayProxyEventV2): string => {
  if (!event.body) return "";
  return event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
};

/** Header names lower-case (http-header-normalizer has run), values as sent. */
export const lowerCaseHeaders = (
  event: APIGatewayProxyEventV2,
): Readonly<Record<string, string | undefined>> => event.headers ?? {};

export const jsonResponse = (
  statusCode: number,
  body: Readonly<Record<string, unknown>>,
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
