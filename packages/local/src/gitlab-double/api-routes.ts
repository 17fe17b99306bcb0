import { type GitlabModel, JOB_STATUSES } from "@ger/core";
import { asTags, type Body, message, type Reply } from "./reply";
import { hookResource, jobResource, runnerDetail, runnerSummary } from "./resources";

export interface ApiOptions {
  /** GitLab before 17 has no job_execution_status on GET /runners/:id. */
  readonly reportsJobExecutionStatus: boolean;
}

type ApiHandler = (
  model: GitlabModel,
  params: string[],
  body: Body,
  query: URLSearchParams,
  options: ApiOptions,
) => Reply;

const RUNNER_TYPES = ["instance_type", "group_type", "project_type"] as const;
const isRunnerType = (value: string): value is (typeof RUNNER_TYPES)[number] =>
  (RUNNER_TYPES as readonly string[]).includes(value);

/** GitLab counts a listing's pages only up to this many results. */
const COUNTED_RESULTS = 10_000;

/** One page of a listing, with GitLab's paging headers. */
const paged = <T>(
  items: readonly T[],
  query: URLSearchParams,
  render: (item: T) => unknown,
): Reply => {
  const perPage = Math.min(100, Number(query.get("per_page") ?? 20));
  const page = Number(query.get("page") ?? 1);
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  return {
    status: 200,
    headers: {
      "x-page": String(page),
      "x-per-page": String(perPage),
      "x-next-page": page < totalPages ? String(page + 1) : "",
      "x-prev-page": page > 1 ? String(page - 1) : "",
      ...(items.length <= COUNTED_RESULTS && {
        "x-total": String(items.length),
        "x-total-pages": String(totalPages),
      }),
    },
    body: items.slice((page - 1) * perPage, page * perPage).map(render),
  };
};

const createRunner: ApiHandler = (model, _params, body) => {
  const runnerType = String(body.runner_type ?? "");
  if (!isRunnerType(runnerType)) return message(400, "runner_type is invalid");
  if (runnerType === "group_type" && !body.group_id) return message(400, "group_id is missing");
  if (runnerType === "project_type" && !body.project_id)
    return message(400, "project_id is missing");
  const runner = model.createRunner({
    description: String(body.description ?? ""),
    runnerType,
    tagList: asTags(body.tag_list),
    runUntagged: body.run_untagged === true,
    accessLevel: body.access_level === "ref_protected" ? "ref_protected" : "not_protected",
    ...(typeof body.maximum_timeout === "number" && { maximumTimeout: body.maximum_timeout }),
    ...(typeof body.group_id === "number" && { groupId: body.group_id }),
    ...(typeof body.project_id === "number" && { projectId: body.project_id }),
  });
  return { status: 201, body: { id: runner.id, token: runner.token, token_expires_at: null } };
};

const deleteRunner: ApiHandler = (model, [id]) =>
  model.deleteRunner(Number(id)) ? { status: 204 } : message(404, "404 Not found");

const getRunner: ApiHandler = (model, [id], _body, _query, options) => {
  const facts = model.describeRunner(Number(id));
  if (!facts) return message(404, "404 Not found");
  return { status: 200, body: runnerDetail(facts, options.reportsJobExecutionStatus) };
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

const runnerJobs: ApiHandler = (model, [id], _body, query) => {
  const runner = model.runners.get(Number(id));
  if (!runner) return message(404, "404 Not found");
  const jobs = model.jobsOfRunner(runner.id, query.get("status") ?? undefined);
  return paged(jobs, query, (job) => jobResource(job, runner, model.clock.now()));
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

const projectHooks: ApiHandler = (model, [id]) => {
  const hooks = model.listProjectHooks(Number(id));
  if (!hooks) return message(403, "403 Forbidden");
  const owner = { project_id: Number(id) };
  return { status: 200, body: hooks.map((hook, index) => hookResource(hook, index, owner)) };
};

const groupHooks: ApiHandler = (model, [id]) => {
  const hooks = model.listGroupHooks(Number(id));
  if (!hooks) return message(403, "403 Forbidden");
  const owner = { group_id: Number(id) };
  return { status: 200, body: hooks.map((hook, index) => hookResource(hook, index, owner)) };
};

/** Routes that GitLab guards with a personal/group access token (PRIVATE-TOKEN). */
export const API_ROUTES: readonly [string, RegExp, ApiHandler][] = [
  ["POST", /^\/api\/v4\/user\/runners$/, createRunner],
  ["DELETE", /^\/api\/v4\/runners\/(\d+)$/, deleteRunner],
  ["GET", /^\/api\/v4\/runners\/(\d+)$/, getRunner],
  ["GET", /^\/api\/v4\/runners\/(\d+)\/jobs$/, runnerJobs],
  ["GET", /^\/api\/v4\/runners\/all$/, listRunners(undefined)],
  ["GET", /^\/api\/v4\/groups\/(\d+)\/runners$/, listRunners("groupId")],
  ["GET", /^\/api\/v4\/projects\/(\d+)\/runners$/, listRunners("projectId")],
  ["GET", /^\/api\/v4\/projects\/(\d+)\/jobs\/(\d+)$/, getJob],
  ["POST", /^\/api\/v4\/projects\/(\d+)\/jobs\/(\d+)\/retry$/, retryJob],
  ["GET", /^\/api\/v4\/projects\/(\d+)\/jobs$/, listJobs],
  ["GET", /^\/api\/v4\/projects\/(\d+)\/hooks$/, projectHooks],
  ["GET", /^\/api\/v4\/projects\/(\d+)\/groups$/, projectGroups],
  ["GET", /^\/api\/v4\/groups\/(\d+)\/hooks$/, groupHooks],
];
