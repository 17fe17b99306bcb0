import { type GitlabModel, JOB_STATUSES } from "@ger/core";
import { paged } from "./paging";
import { asTags, type Body, message, type Reply } from "./reply";
import { jobResource, projectResource, runnerDetail, runnerSummary } from "./resources";
import { type RouteScopes, SCOPES } from "./scopes";
import { type IssuedToken, mayCreateRunner, tokenResource } from "./tokens";

export interface ApiOptions {
  /** GitLab before 17 has no job_execution_status on GET /runners/:id. */
  readonly reportsJobExecutionStatus: boolean;
  /** What GET /version answers. */
  readonly version: { readonly version: string; readonly revision: string };
  /** When the double started: its tokens' created_at. */
  readonly startedAt: Date;
}

/** What a handler knows of its request besides its path, body and query. */
export interface ApiRequest extends ApiOptions {
  readonly token: IssuedToken;
}

export type ApiHandler = (
  model: GitlabModel,
  params: string[],
  body: Body,
  query: URLSearchParams,
  request: ApiRequest,
) => Reply;

/** A route GitLab guards with an access token (PRIVATE-TOKEN), and the scopes it takes. */
export type ApiRoute = readonly [method: string, path: RegExp, scopes: RouteScopes, ApiHandler];

const RUNNER_TYPES = ["instance_type", "group_type", "project_type"] as const;
const isRunnerType = (value: string): value is (typeof RUNNER_TYPES)[number] =>
  (RUNNER_TYPES as readonly string[]).includes(value);

const createRunner: ApiHandler = (model, _params, body, _query, { token }) => {
  const runnerType = String(body.runner_type ?? "");
  if (!isRunnerType(runnerType)) return message(400, "runner_type is invalid");
  if (runnerType === "group_type" && !body.group_id) return message(400, "group_id is missing");
  if (runnerType === "project_type" && !body.project_id)
    return message(400, "project_id is missing");
  const scope =
    runnerType === "group_type"
      ? { runnerType, groupId: Number(body.group_id) }
      : runnerType === "project_type"
        ? { runnerType, projectId: Number(body.project_id) }
        : { runnerType };
  // Ci::Runners::CreateRunnerService's refusal of a user without the role for the scope.
  if (!mayCreateRunner(token, scope))
    return message(403, "403 Forbidden - Insufficient permissions");
  const runner = model.createRunner({
    description: String(body.description ?? ""),
    runnerType,
    tagList: asTags(body.tag_list),
    runUntagged: body.run_untagged === true,
    accessLevel: body.access_level === "ref_protected" ? "ref_protected" : "not_protected",
    ...(typeof body.maximum_timeout === "number" && { maximumTimeout: body.maximum_timeout }),
    ...(typeof body.group_id === "number" && { groupId: body.group_id }),
    ...(typeof body.project_id === "number" && { projectId: body.project_id }),
    ...(body.paused === true && { paused: true }),
  });
  return { status: 201, body: { id: runner.id, token: runner.token, token_expires_at: null } };
};

const deleteRunner: ApiHandler = (model, [id]) =>
  model.deleteRunner(Number(id)) ? { status: 204 } : message(404, "404 Not found");

const resetRunnerToken: ApiHandler = (model, [id]) => {
  const token = model.resetRunnerToken(Number(id));
  if (token === undefined) return message(404, "404 Not found");
  return { status: 201, body: { token, token_expires_at: null } };
};

const getRunner: ApiHandler = (model, [id], _body, _query, request) => {
  const facts = model.describeRunner(Number(id));
  if (!facts) return message(404, "404 Not found");
  return { status: 200, body: runnerDetail(facts, request.reportsJobExecutionStatus) };
};

/** GET /runners/all, /groups/:id/runners, /projects/:id/runners: by owner and type, paginated. */
const listRunners =
  (owner: "groupId" | "projectId" | undefined): ApiHandler =>
  (model, [id], _body, query) => {
    const type = query.get("type");
    const runners = model.listRunners({
      ...(owner && { [owner]: Number(id) }),
      ...(type && { runnerType: type }),
    });
    return paged(runners, query, runnerSummary);
  };

/**
 * GET /runners/:id/jobs: each job with its project (JobBasicWithProject). GitLab orders them by id
 * as `sort` says (desc by default) only when `order_by` is given; without it GitLab has ignored
 * `sort` and answered oldest first (gitlab-org/gitlab#364348), and so does the double.
 */
const runnerJobs: ApiHandler = (model, [id], _body, query) => {
  const runner = model.runners.get(Number(id));
  if (!runner) return message(404, "404 Not found");
  const orderBy = query.get("order_by");
  if (orderBy !== null && orderBy !== "id")
    return { status: 400, body: { error: "order_by does not have a valid value" } };
  const newestFirst = model.jobsOfRunner(runner.id, query.get("status") ?? undefined);
  const jobs =
    orderBy !== null && query.get("sort") !== "asc" ? newestFirst : [...newestFirst].reverse();
  const now = model.clock.now();
  return paged(jobs, query, (job) => ({
    ...jobResource(job, runner, now),
    project: projectResource(job.projectId),
  }));
};

const getJob: ApiHandler = (model, [projectId, jobId]) => {
  const job = model.getJob(Number(projectId), Number(jobId));
  if (!job) return message(404, "404 Job Not Found");
  const runner = job.runnerId === undefined ? undefined : model.runners.get(job.runnerId);
  return { status: 200, body: jobResource(job, runner, model.clock.now()) };
};

/** GitLab takes `scope[]=a&scope[]=b` or a single `scope=a`, and refuses a status it lacks. */
const listJobs: ApiHandler = (model, [projectId], _body, query) => {
  const scopes = [...query.getAll("scope[]"), ...query.getAll("scope")];
  if (!scopes.every((scope) => (JOB_STATUSES as readonly string[]).includes(scope)))
    return { status: 400, body: { error: "scope does not have a valid value" } };
  const now = model.clock.now();
  const jobs = model.listJobs(Number(projectId), scopes);
  return paged(jobs, query, (job) => jobResource(job, undefined, now));
};

const retryJob: ApiHandler = (model, [projectId, jobId]) => ({
  status: 201,
  body: jobResource(model.retryJob(Number(projectId), Number(jobId)), undefined, model.clock.now()),
});

const projectGroups: ApiHandler = (model, [projectId]) => ({
  status: 200,
  body: model.projectGroupIds(Number(projectId)).map((id) => ({ id, full_path: `group-${id}` })),
});

/** A project in no group is in its owner's namespace, given an id of its own here. */
const USER_NAMESPACE_BASE = 1_000_000;

/** GET /projects/:id, as far as the control plane reads it: the project's namespace. */
const getProject: ApiHandler = (model, [projectId]) => {
  const id = Number(projectId);
  const groupId = model.projects.get(id)?.groupId;
  return {
    status: 200,
    body: {
      ...projectResource(id),
      namespace:
        groupId === undefined
          ? { id: USER_NAMESPACE_BASE + id, kind: "user", full_path: "double" }
          : { id: groupId, kind: "group", full_path: `group-${groupId}` },
    },
  };
};

/** GET /namespaces/:id: `plan` where the model sets one (GitLab shows it to Owners only). */
const getNamespace: ApiHandler = (model, [namespaceId]) => {
  const id = Number(namespaceId);
  const plan = model.namespacePlans.get(id);
  return {
    status: 200,
    body: {
      id,
      ...(id >= USER_NAMESPACE_BASE
        ? { kind: "user", full_path: "double" }
        : { kind: "group", full_path: `group-${id}` }),
      ...(plan !== undefined && { plan }),
    },
  };
};

const versionInfo: ApiHandler = (_model, _params, _body, _query, request) => ({
  status: 200,
  body: request.version,
});

const currentToken: ApiHandler = (model, _params, _body, _query, { token, startedAt }) => ({
  status: 200,
  body: tokenResource(token, startedAt, model.clock.now()),
});

const { api, userRunners, runner, runnerListing, version, tokenSelf } = SCOPES;

/** GitLab's API as the control plane, doctor and connect use it; hooks are in hook-routes.ts. */
export const API_ROUTES: readonly ApiRoute[] = [
  ["GET", /^\/api\/v4\/version$/, version, versionInfo],
  ["GET", /^\/api\/v4\/personal_access_tokens\/self$/, tokenSelf, currentToken],
  ["POST", /^\/api\/v4\/user\/runners$/, userRunners, createRunner],
  ["DELETE", /^\/api\/v4\/runners\/(\d+)$/, runner, deleteRunner],
  ["POST", /^\/api\/v4\/runners\/(\d+)\/reset_authentication_token$/, runner, resetRunnerToken],
  ["GET", /^\/api\/v4\/runners\/(\d+)$/, runner, getRunner],
  ["GET", /^\/api\/v4\/runners\/(\d+)\/jobs$/, runner, runnerJobs],
  ["GET", /^\/api\/v4\/runners\/all$/, runnerListing, listRunners(undefined)],
  ["GET", /^\/api\/v4\/groups\/(\d+)\/runners$/, runnerListing, listRunners("groupId")],
  ["GET", /^\/api\/v4\/projects\/(\d+)\/runners$/, runnerListing, listRunners("projectId")],
  ["GET", /^\/api\/v4\/projects\/(\d+)\/jobs\/(\d+)$/, api, getJob],
  ["POST", /^\/api\/v4\/projects\/(\d+)\/jobs\/(\d+)\/retry$/, api, retryJob],
  ["GET", /^\/api\/v4\/projects\/(\d+)\/jobs$/, api, listJobs],
  ["GET", /^\/api\/v4\/projects\/(\d+)\/groups$/, api, projectGroups],
  ["GET", /^\/api\/v4\/projects\/(\d+)$/, api, getProject],
  ["GET", /^\/api\/v4\/namespaces\/(\d+)$/, api, getNamespace],
];
