import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { GitLabApiError, type GitlabModel } from "@ger/core";
import { API_ROUTES, type ApiOptions } from "./api-routes";
import { controlRoute } from "./control-routes";
import { type Fault, injectedFault } from "./faults";
import { type Body, message, type Reply, readJson } from "./reply";
import { runnerRoute } from "./runner-routes";

export interface GitlabDoubleServerOptions extends ApiOptions {
  readonly adminToken: string;
}

interface Context extends GitlabDoubleServerOptions {
  readonly model: GitlabModel;
  readonly faults: Fault[];
  /** Calls to the API (not the runner-side one), by "METHOD /route", for measuring. */
  readonly apiCalls: Map<string, number>;
}

const apiRoute = (
  context: Context,
  method: string,
  path: string,
  body: Body,
  query: URLSearchParams,
): Reply => {
  for (const [routeMethod, pattern, handler] of API_ROUTES) {
    const match = routeMethod === method ? pattern.exec(path) : null;
    if (!match) continue;
    const key = `${method} ${pattern.source}`;
    context.apiCalls.set(key, (context.apiCalls.get(key) ?? 0) + 1);
    return handler(context.model, match.slice(1), body, query, context);
  }
  return message(404, "404 Not Found");
};

const route = async (context: Context, request: IncomingMessage): Promise<Reply> => {
  const url = new URL(request.url ?? "/", "http://double");
  const method = request.method ?? "GET";
  let body: Body;
  try {
    body = await readJson(request);
  } catch {
    return message(400, "body is not JSON");
  }
  const control = controlRoute(context.model, context.faults, method, url.pathname, body);
  if (control) return control;
  const fault = injectedFault(context.faults, method, url.pathname);
  if (fault) return fault;
  const runner = runnerRoute(context.model, method, url.pathname, body);
  if (runner) return runner;
  if (request.headers["private-token"] !== context.adminToken)
    return message(401, "401 Unauthorized");
  return apiRoute(context, method, url.pathname, body, url.searchParams);
};

/** What GitLab refuses (a job not retryable, an unknown runner) the model throws: answer it. */
const answer = async (context: Context, request: IncomingMessage): Promise<Reply> => {
  try {
    return await route(context, request);
  } catch (error) {
    if (error instanceof GitLabApiError) return message(error.status, error.message);
    throw error;
  }
};

/** GitLab's REST API, as far as the autoscaler and gitlab-runner use it, over real HTTP. */
export const createGitlabDoubleServer = (
  model: GitlabModel,
  options: GitlabDoubleServerOptions,
): Server & { faults: Fault[]; apiCalls: Map<string, number> } => {
  const context: Context = { ...options, model, faults: [], apiCalls: new Map() };
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const reply = await answer(context, request);
    response.writeHead(reply.status, {
      ...(reply.body !== undefined && { "content-type": "application/json" }),
      ...reply.headers,
    });
    response.end(reply.body !== undefined ? JSON.stringify(reply.body) : undefined);
  });
  return Object.assign(server, { faults: context.faults, apiCalls: context.apiCalls });
};
