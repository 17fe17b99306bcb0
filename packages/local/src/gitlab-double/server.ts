import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { GitLabApiError, type GitlabModel, GitlabPipelines } from "@ger/core";
import { API_ROUTES, type ApiOptions } from "./api-routes";
import { controlRoute } from "./control-routes";
import { type Fault, injectedFault } from "./faults";
import { HOOK_ROUTES } from "./hook-routes";
import { type Body, message, type Reply, readJson } from "./reply";
import { runnerRoute } from "./runner-routes";
import { scopeRefusal } from "./scopes";
import { authenticate, type DoubleToken, type IssuedToken, issueTokens } from "./tokens";

export interface GitlabDoubleServerOptions extends ApiOptions {
  /** The access tokens GitLab knows; any other is refused with 401. */
  readonly tokens: readonly DoubleToken[];
}

const ROUTES = [...API_ROUTES, ...HOOK_ROUTES];

interface Context extends ApiOptions {
  readonly tokens: readonly IssuedToken[];
  readonly model: GitlabModel;
  readonly pipelines: GitlabPipelines;
  readonly faults: Fault[];
  /** Calls to the API (not the runner-side one), by "METHOD /route", for measuring. */
  readonly apiCalls: Map<string, number>;
}

const apiRoute = (
  context: Context,
  token: IssuedToken,
  method: string,
  path: string,
  body: Body,
  query: URLSearchParams,
): Reply => {
  for (const [routeMethod, pattern, scopes, handler] of ROUTES) {
    const match = routeMethod === method ? pattern.exec(path) : null;
    if (!match) continue;
    const key = `${method} ${pattern.source}`;
    context.apiCalls.set(key, (context.apiCalls.get(key) ?? 0) + 1);
    return (
      scopeRefusal(scopes, method, token.scopes) ??
      handler(context.model, match.slice(1), body, query, { ...context, token })
    );
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
  const control = controlRoute(context, method, url.pathname, body);
  if (control) return control;
  const fault = injectedFault(context.faults, method, url.pathname);
  if (fault) return fault;
  const runner = runnerRoute(context.model, method, url.pathname, body);
  if (runner) return runner;
  const caller = authenticate(
    context.tokens,
    request.headers["private-token"],
    context.model.clock.now(),
  );
  if ("refused" in caller) return caller.refused;
  return apiRoute(context, caller.token, method, url.pathname, body, url.searchParams);
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
  const context: Context = {
    ...options,
    tokens: issueTokens(options.tokens),
    model,
    pipelines: new GitlabPipelines(model),
    faults: [],
    apiCalls: new Map(),
  };
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
