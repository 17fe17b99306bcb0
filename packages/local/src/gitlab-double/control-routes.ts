import type { GitlabModel, GitlabPipelines, PipelineRequest } from "@ger/core";
import type { Fault } from "./faults";
import { asTags, type Body, type Reply } from "./reply";

/** The double's own controls (not GitLab's): enqueue jobs, inject faults, read its state. */
export const controlRoute = (
  {
    model,
    pipelines,
    faults,
  }: {
    readonly model: GitlabModel;
    readonly pipelines: GitlabPipelines;
    readonly faults: Fault[];
  },
  method: string,
  path: string,
  body: Body,
): Reply | undefined => {
  if (method === "POST" && path === "/-/jobs") {
    const job = model.enqueue({
      projectId: Number(body.projectId ?? 1),
      tags: asTags(body.tags),
      ...(typeof body.groupId === "number" && { groupId: body.groupId }),
      ...(typeof body.durationSeconds === "number" && { durationSeconds: body.durationSeconds }),
    });
    return {
      status: 201,
      body: { id: job.id, projectId: job.projectId, tags: job.tagList, status: job.status },
    };
  }
  if (method === "POST" && path === "/-/pipelines") {
    const stages = pipelineStages(body.stages);
    if (typeof stages === "string") return { status: 400, body: { message: stages } };
    const jobs = pipelines.create({ projectId: Number(body.projectId ?? 1), stages });
    return {
      status: 201,
      body: { pipelineId: jobs[0]?.pipelineId, jobs: jobs.map(({ id, stage }) => ({ id, stage })) },
    };
  }
  if (method === "POST" && path === "/-/faults") {
    faults.push({
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
    return {
      status: 200,
      body: {
        jobs: [...model.jobs.values()],
        runners: [...model.runners.values()].map(({ token: _token, ...runner }) => runner),
      },
    };
  }
  return undefined;
};

/** `stages: [{ name, jobs: [{ name?, tags?, durationSeconds? }] }]`, or what is wrong with it. */
const pipelineStages = (value: unknown): PipelineRequest["stages"] | string => {
  if (!Array.isArray(value) || value.length === 0) return "stages: a list of stages is required";
  const stages: PipelineRequest["stages"][number][] = [];
  for (const [index, stage] of value.entries()) {
    const { name, jobs } = (stage ?? {}) as { name?: unknown; jobs?: unknown };
    if (typeof name !== "string" || !Array.isArray(jobs) || jobs.length === 0)
      return `stages.${index}: needs a name and at least one job`;
    stages.push({
      name,
      jobs: jobs.map((job: Body) => ({
        ...(typeof job.name === "string" && { name: job.name }),
        tags: asTags(job.tags),
        ...(typeof job.durationSeconds === "number" && { durationSeconds: job.durationSeconds }),
      })),
    });
  }
  return stages;
};
