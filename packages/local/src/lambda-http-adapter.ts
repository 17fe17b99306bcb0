import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";

/** API Gateway HTTP APIs refuse bodies over 10 MB before any Lambda runs; so does this adapter. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

/**
 * The request's body, refused past `maxBytes`: by its Content-Length before a byte is read (the
 * answer then reaches the client, and Node discards the rest), else as it streams in.
 */
export const readBody = async (
  request: IncomingMessage,
  maxBytes = API_GATEWAY_MAX_BODY_BYTES,
): Promise<Buffer> => {
  const tooLarge = () => new BodyTooLargeError(`request body over ${maxBytes} bytes`);
  if (Number(request.headers["content-length"] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
};

/** Shapes a Node HTTP request the way API Gateway (payload format 2.0) hands it to Lambda. */
export const toApiGatewayEvent = async (
  request: IncomingMessage,
  routeKey: string,
): Promise<APIGatewayProxyEventV2> => {
  const url = new URL(request.url ?? "/", "http://localhost");
  const body = await readBody(request);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const now = Date.now();
  return {
    version: "2.0",
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: {
        method: request.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey,
      stage: "$default",
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(body.length > 0 && { body: body.toString("utf8") }),
    isBase64Encoded: false,
  };
};

export const writeLambdaResult = (
  response: ServerResponse,
  result: APIGatewayProxyStructuredResultV2,
): void => {
  response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
  response.end(result.body ?? "");
};

/** The context a Lambda invocation gets; Powertools reads its names into every log line. */
export const localLambdaContext = (functionName: string): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: "$LATEST",
  invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
  memoryLimitInMB: "256",
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: "local",
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});
