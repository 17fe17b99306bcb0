import type { GitlabModel } from "@ger/core";
import type { Fault } from "./faults";
import { asTags, type Body, type Reply } from "./reply";

/** The double's own controls (not GitLab's): enqueue jobs, inject faults, read its state. */
export const controlRoute = (
  model: GitlabModel,
  faults: Fault[],
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
