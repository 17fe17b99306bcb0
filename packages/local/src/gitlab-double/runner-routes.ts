import type { GitlabModel } from "@ger/core";
import { type Body, message, type Reply } from "./reply";

/** Routes a gitlab-runner calls, authenticated by its runner or job token; undefined for others. */
export const runnerRoute = (
  model: GitlabModel,
  method: string,
  path: string,
  body: Body,
): Reply | undefined => {
  if (method === "POST" && (path === "/api/v4/runners/verify" || path === "/api/v4/jobs/request")) {
    const runner = model.runnerByToken(String(body.token));
    if (!runner) return message(403, "403 Forbidden");
    if (path === "/api/v4/runners/verify") {
      model.contact(runner.id);
      return { status: 200, body: { id: runner.id, token: runner.token } };
    }
    const job = model.requestJob(runner.id);
    if (!job) return { status: 204 };
    return {
      status: 201,
      body: {
        id: job.id,
        token: job.jobToken,
        job_info: { name: job.name, stage: "test", project_id: job.projectId },
        variables: [{ key: "DOUBLE_JOB_DURATION", value: String(job.durationSeconds ?? 0) }],
      },
    };
  }
  const match = path.match(/^\/api\/v4\/jobs\/(\d+)$/);
  if (method === "PUT" && match) {
    const job = model.jobs.get(Number(match[1]));
    if (!job || job.jobToken !== body.token) return message(403, "403 Forbidden");
    const state = String(body.state ?? "");
    if (state === "success" || state === "failed") model.finishJob(job.id, state);
    return { status: 200, body: {} };
  }
  return undefined;
};
