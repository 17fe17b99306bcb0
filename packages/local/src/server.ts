import { createServer, type IncomingMessage, type Server } from "node:http";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import {
  BodyTooLargeError,
  localLambdaContext,
  toApiGatewayEvent,
  writeLambdaResult,
} from "./lambda-http-adapter";

type HttpLambda = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

type Invocable = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalServerOptions {
  readonly webhook: HttpLambda;
  /** Functions an operator may invoke by name (POST /-/invoke/<name>), as with `aws lambda invoke`. */
  readonly functions?: () => Readonly<Record<string, Invocable>>;
  /** What GET /healthz reports, so that the CLI can find this stack's table and GitLab double. */
  readonly health: () => Readonly<Record<string, unknown>>;
}

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** The HTTP API of the local stack: the same routes as API Gateway, served by the same handlers. */
const readJsonBody = async (request: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : undefined;
};

export const createLocalServer = ({ webhook, health, functions }: LocalServerOptions): Server =>
  createServer(async (request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const route = `${request.method} ${path}`;
    try {
      if (route === "POST /webhook") {
        const event = await toApiGatewayEvent(request, route);
        writeLambdaResult(response, await webhook(event, localLambdaContext("webhook")));
      } else if (
        request.method === "POST" &&
        path.startsWith("/-/invoke/") &&
        functions?.()[path.slice(10)]
      ) {
        const invoke = functions()[path.slice(10)] as Invocable;
        writeLambdaResult(
          response,
          json(200, await invoke(await readJsonBody(request), localLambdaContext(path.slice(10)))),
        );
      } else if (route === "GET /healthz") {
        writeLambdaResult(response, json(200, { status: "ok", ...health() }));
      } else {
        writeLambdaResult(
          response,
          json(404, { error: "not_found", message: `no route ${route}` }),
        );
      }
    } catch (error) {
      const tooLarge = error instanceof BodyTooLargeError;
      writeLambdaResult(
        response,
        json(tooLarge ? 413 : 500, {
          error: tooLarge ? "payload_too_large" : "internal_error",
          message: String(error),
        }),
      );
    }
  });
