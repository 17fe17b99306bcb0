import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { jobResource } from "./job-hook";
import type { DoubleRunner, GitlabDoubleModel } from "./model";

export interface Fault {
  readonly method: string;
  readonly path: RegExp;
  readonly status: number;
  readonly retryAfterSeconds?: number;
  remaining: number;
}

interface Context {
  readonly model: GitlabDoubleModel;
  readonly adminToken: string;
  readonly faults: Fault[];
  /** Calls to the API (not the runner-side one), by "METHOD /route", for measuring. */
  readonly apiCalls: Map<string, number>;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

const readJson = async (request: IncomingMessage): Promise<Record<string, unknown>> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
};

const message = (status: number, text: string): Reply => ({ status, body: { message: text } });
const asTags = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.map(String)
    : typeof value === "string" && value
      ? value.split(",")
      : [];

type AdminHandler = (
  model: GitlabDoubleModel,
  params: string[],
  body: Record<string, unknown>,
  query: URLSearchParams,
) => Reply;

const createRunner: AdminHandler = (model, _params, body) => {
  const runnerType = String(body.runner_type ?? "");
  if (!["instance_type", "group_type", "project_type"].includes(runnerType))
    return message(400, "runner_type is invalid");
  if (runnerType === "group_type" && !body.group_id) return message(400, "group_id is missing");
  if (runnerType === "project_type" && !body.project_id)
    return message(400, "project_id is missing");
  const runner = model.createRunner({
    description: String(body.description ?? ""),
    runnerType,
    tags: asTags(body.tag_list),
    runUntagged: body.run_untagged === true,
    ...(typeof body.maximum_timeout === "number" && { maximumTimeout: body.maximum_timeout }),
    ...(typeof body.group_id === "number" && { groupId: body.group_id }),
    ...(typeof body.project_id === "number" && { projectId: body.project_id }),
  });
  return { status: 201, body: { id: runner.id, token: runner.token, token_expires_at: null } };
};

const deleteRunner: AdminHandler = (model, [id]) =>
  model.runners.delete(Number(id)) ? { status: 204 } : message(404, "404 Not found");

const getRunner: AdminHandler = (model, [id]) => {
  const runner = model.runners.get(Number(id));
  if (!runner) return message(404, "404 Not found");
  const busy = [...model.jobs.values()].some(
    (job) => job.runnerId === runner.id && job.status === "running",
  );
  return {
    status: 200,
    body: {
      id: runner.id,
      description: runner.description,
      runner_type: runner.runnerType,
      tag_list: runner.tags,
      run_untagged: runner.runUntagged,
      status: runner.contactedAt ? "online" : "never_contacted",
      contacted_at: runner.contactedAt?.toISOString() ?? null,
      job_execution_status: busy ? "active" : "idle",
    },
  };
};

const getJob: AdminHandler = (model, [projectId, jobId]) => {
  const job = model.jobs.get(Number(jobId));
  if (!job || job.projectId !== Number(projectId)) return message(404, "404 Job Not Found");
  return {
    status: 200,
    body: jobResource(job, job.runnerId ? model.runners.get(job.runnerId) : undefined),
  };
};

const listJobs: AdminHandler = (model, [projectId], _body, query) => {
  const scopes = query.getAll("scope[]");
  const perPage = Number(query.get("per_page") ?? 20);
  const page = Number(query.get("page") ?? 1);
  const jobs = [...model.jobs.values()].filter(
    (job) =>
      job.projectId === Number(projectId) && (scopes.length === 0 || scopes.includes(job.status)),
  );
  const slice = jobs.slice((page - 1) * perPage, page * perPage);
  return { status: 200, body: slice.map((job) => jobResource(job, undefined)) };
};

const runnerSummary = (runner: DoubleRunner) => ({
  id: runner.id,
  description: runner.description,
  runner_type: runner.runnerType,
  status: runner.contactedAt ? "online" : "never_contacted",
  active: true,
  paused: false,
});

/** GET /runners/all, /groups/:id/runners, /projects/:id/runners: filtered by type, paginated. */
const listRunners =
  (owner: (runner: DoubleRunner, id: number) => boolean): AdminHandler =>
  (model, [id], _body, query) => {
    const perPage = Number(query.get("per_page") ?? 20);
    const page = Number(query.get("page") ?? 1);
    const type = query.get("type");
    const runners = [...model.runners.values()].filter(
      (runner) => owner(runner, Number(id)) && (!type || runner.runnerType === type),
    );
    const slice = runners.slice((page - 1) * perPage, page * perPage);
    return { status: 200, body: slice.map(runnerSummary) };
  };

const runnerJobs: AdminHandler = (model, [id], _body, query) => {
  const status = query.get("status");
  const jobs = [...model.jobs.values()].filter(
    (job) => job.runnerId === Number(id) && (!status || job.status === status),
  );
  return { status: 200, body: jobs.map((job) => jobResource(job, model.runners.get(Number(id)))) };
};

const retryJob: AdminHandler = (model, [projectId, jobId]) => {
  const job = model.jobs.get(Number(jobId));
  if (!job || job.projectId !== Number(projectId)) return message(404, "404 Job Not Found");
  if (!["success", "failed", "canceled"].includes(job.status))
    return message(403, "403 Forbidden - Job is not retryable");
  const retried = model.retry(job);
  return { status: 201, body: jobResource(retried, undefined) };
};

const projectHooks: AdminHandler = (model, [id]) => ({
  status: 200,
  body: model.hooks.map((hook, index) => ({
    id: index + 1,
    url: hook.url,
    project_id: Number(id),
    job_events: true,
    alert_status: hook.alertStatus,
    disabled_until: null,
  })),
});

/** Routes that GitLab guards with a personal/group access token (PRIVATE-TOKEN). */
const ADMIN_ROUTES: readonly [string, RegExp, AdminHandler][] = [
  ["POST", /^\/api\/v4\/user\/runners$/, createRunner],
  ["DELETE", /^\/api\/v4\/runners\/(\d+)$/, deleteRunner],
  ["GET", /^\/api\/v4\/runners\/(\d+)$/, getRunner],
  ["GET", /^\/api\/v4\/runners\/(\d+)\/jobs$/, runnerJobs],
  ["GET", /^\/api\/v4\/runners\/all$/, listRunners(() => true)],
  [
    "GET",
    /^\/api\/v4\/groups\/(\d+)\/runners$/,
    listRunners((runner, id) => runner.groupId === id),
  ],
  [
    "GET",
    /^\/api\/v4\/projects\/(\d+)\/runners$/,
    listRunners((runner, id) => runner.projectId === id),
  ],
  ["GET", /^\/api\/v4\/projects\/(\d+)\/jobs\/(\d+)$/, getJob],
  ["POST", /^\/api\/v4\/projects\/(\d+)\/jobs\/(\d+)\/retry$/, retryJob],
  ["GET", /^\/api\/v4\/projects\/(\d+)\/jobs$/, listJobs],
  ["GET", /^\/api\/v4\/projects\/(\d+)\/hooks$/, projectHooks],
];

const adminRoute = (
  context: Context,
  method: string,
  path: string,
  body: Record<string, unknown>,
  query: URLSearchParams,
): Reply => {
  for (const [routeMethod, pattern, handler] of ADMIN_ROUTES) {
    const match = routeMethod === method ? pattern.exec(path) : null;
    if (!match) continue;
    const key = `${method} ${pattern.source}`;
    context.apiCalls.set(key, (context.apiCalls.get(key) ?? 0) + 1);
    return handler(context.model, match.slice(1), body, query);
  }
  return message(404, "404 Not Found");
};

/** Routes a gitlab-runner calls, authenticated by its runner or job token. */
const runnerRoute = (
  context: Context,
  method: string,
  path: string,
  body: Record<string, unknown>,
): Reply | undefined => {
  const { model } = context;
  if (method === "POST" && path === "/api/v4/runners/verify") {
    const runner = model.runnerByToken(String(body.token));
    if (!runner) return message(403, "403 Forbidden");
    runner.contactedAt = new Date();
    return { status: 200, body: { id: runner.id, token: runner.token } };
  }
  if (method === "POST" && path === "/api/v4/jobs/request") {
    const runner = model.runnerByToken(String(body.token));
    if (!runner) return message(403, "403 Forbidden");
    const job = model.assignJob(runner);
    if (!job) return { status: 204 };
    return {
      status: 201,
      body: {
        id: job.id,
        token: job.jobToken,
        job_info: { name: job.name, stage: job.stage, project_id: job.projectId },
        variables: [{ key: "DOUBLE_JOB_DURATION", value: String(job.durationSeconds) }],
      },
    };
  }
  const match = path.match(/^\/api\/v4\/jobs\/(\d+)$/);
  if (method === "PUT" && match) {
    const job = model.jobs.get(Number(match[1]));
    if (!job || job.jobToken !== body.token) return message(403, "403 Forbidden");
    const state = String(body.state ?? "");
    if (state === "success" || state === "failed") model.finishJob(job, state);
    return { status: 200, body: {} };
  }
  return undefined;
};

/** The double's own controls (not GitLab's): enqueue jobs, inject faults, read its state. */
const controlRoute = (
  context: Context,
  method: string,
  path: string,
  body: Record<string, unknown>,
): Reply | undefined => {
  if (method === "POST" && path === "/-/jobs") {
    const job = context.model.enqueue({
      projectId: Number(body.projectId ?? 1),
      tags: asTags(body.tags),
      ...(typeof body.durationSeconds === "number" && { durationSeconds: body.durationSeconds }),
    });
    return {
      status: 201,
      body: { id: job.id, projectId: job.projectId, tags: job.tags, status: job.status },
    };
  }
  if (method === "POST" && path === "/-/faults") {
    context.faults.push({
      method: String(body.method ?? "GET"),
      path: new RegExp(String(body.path ?? ".*")),
      status: Number(body.status ?? 500),
      ...(typeof body.retryAfterSeconds === "number" && {
        retryAfterSeconds: body.retryAfterSeconds,
      }),
      remaining: Number(body.times ?? 1),
    });
    return { status: 201 };
  }
  if (method === "GET" && path === "/-/state") {
    const { jobs, runners } = context.model;
    return {
      status: 200,
      body: {
        jobs: [...jobs.values()],
        runners: [...runners.values()].map(({ token: _token, ...runner }) => runner),
      },
    };
  }
  return undefined;
};

const injectedFault = (faults: Fault[], method: string, path: string): Reply | undefined => {
  const fault = faults.find(
    (candidate) =>
      candidate.remaining > 0 && candidate.method === method && candidate.path.test(path),
  );
  if (!fault) return undefined;
  fault.remaining -= 1;
  const headers: Record<string, string> =
    fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {};
  return { status: fault.status, headers, body: { message: `${fault.status} (injected)` } };
};

const route = async (context: Context, request: IncomingMessage): Promise<Reply> => {
  const url = new URL(request.url ?? "/", "http://double");
  const method = request.method ?? "GET";
  let body: Record<string, unknown>;
  try {
    body = await readJson(request);
  } catch {
    return message(400, "body is not JSON");
  }
  const control = controlRoute(context, method, url.pathname, body);
  if (control) return control;
  const fault = injectedFault(context.faults, method, url.pathname);
  if (fault) return fault;
  const runner = runnerRoute(context, method, url.pathname, body);
  if (runner) return runner;
  if (request.headers["private-token"] !== context.adminToken)
    return message(401, "401 Unauthorized");
  return adminRoute(context, method, url.pathname, body, url.searchParams);
};

/** GitLab's REST API, as far as the autoscaler and gitlab-runner use it, over real HTTP. */
export const createGitlabDoubleServer = (
  model: GitlabDoubleModel,
  adminToken: string,
): Server & { faults: Fault[]; apiCalls: Map<string, number> } => {
  const context: Context = { model, adminToken, faults: [], apiCalls: new Map() };
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const reply = await route(context, request);
    response.writeHead(reply.status, {
      ...(reply.body !== undefined && { "content-type": "application/json" }),
      ...reply.headers,
    });
    response.end(reply.body !== undefined ? JSON.stringify(reply.body) : undefined);
  });
  return Object.assign(server, { faults: context.faults, apiCalls: context.apiCalls });
};
