import { createServer, type IncomingMessage, type Server } from "node:http";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import {
  BodyTooLargeError,
  localLambdaContext,
  readBody,
  toApiGatewayEvent,
  writeLambdaResult,
} from "./lambda-http-adapter";
import { refusalOutsideThisMachine } from "./loopback-guard";

type HttpLambda = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

type Invocable = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalServerOptions {
  readonly webhook: HttpLambda;
  /** Functions an operator may invoke by name (POST /-/invoke/<name>), as with `aws lambda invoke`. */
  readonly functions?: () => Readonly<Record<string, Invocable>>;
  /**
   * What GET /healthz reports, so that the CLI can find this stack's table (and the key to it) and
   * GitLab double: only to callers on this machine.
   */
  readonly health: () => Readonly<Record<string, unknown>>;
}

const INVOKE_PREFIX = "/-/invoke/";
/** An invocation's event is a few fields (`{"dryRun": true}`); nothing legitimate comes near this. */
export const MAX_INVOKE_BODY_BYTES = 64 * 1024;

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

const forbidden = (message: string) => json(403, { error: "forbidden", message });

/**
 * A web page can POST text/plain anywhere without asking; JSON across origins needs a CORS
 * preflight, which this server never grants.
 */
const isJson = (request: IncomingMessage) =>
  request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase() === "application/json";

/** Runs a function by name for a caller on this machine, with the JSON body as its event. */
const invoke = async (
  request: IncomingMessage,
  name: string,
  functions: Readonly<Record<string, Invocable>>,
): Promise<APIGatewayProxyStructuredResultV2> => {
  const refusal = refusalOutsideThisMachine(request);
  if (refusal) return forbidden(refusal);
  const run = Object.hasOwn(functions, name) ? functions[name] : undefined;
  if (!run) return json(404, { error: "not_found", message: `no function ${name}` });
  if (!isJson(request))
    return json(415, {
      error: "unsupported_media_type",
      message: "send the event as Content-Type: application/json",
    });
  const text = (await readBody(request, MAX_INVOKE_BODY_BYTES)).toString("utf8");
  let event: unknown;
  try {
    event = text ? JSON.parse(text) : undefined;
  } catch (error) {
    return json(400, { error: "invalid_json", message: String(error) });
  }
  return json(200, await run(event, localLambdaContext(name)));
};

const health = (request: IncomingMessage, report: LocalServerOptions["health"]) => {
  const refusal = refusalOutsideThisMachine(request);
  return refusal ? forbidden(refusal) : json(200, { status: "ok", ...report() });
};

/** The HTTP API of the local stack: the same routes as API Gateway, served by the same handlers. */
export const createLocalServer = (options: LocalServerOptions): Server =>
  createServer(async (request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const route = `${request.method} ${path}`;
    try {
      if (route === "POST /webhook") {
        const event = await toApiGatewayEvent(request, route);
        writeLambdaResult(response, await options.webhook(event, localLambdaContext("webhook")));
      } else if (request.method === "POST" && path.startsWith(INVOKE_PREFIX)) {
        const name = path.slice(INVOKE_PREFIX.length);
        writeLambdaResult(response, await invoke(request, name, options.functions?.() ?? {}));
      } else if (route === "GET /healthz") {
        writeLambdaResult(response, health(request, options.health));
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
