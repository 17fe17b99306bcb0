import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitlabDouble, startGitlabDouble } from "../src/index";

const clock = { now: () => new Date("2026-11-22T10:00:00Z") };
let double: GitlabDouble;
beforeAll(async () => {
  double = await startGitlabDouble({ clock });
});
afterAll(() => double.stop());

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${double.url}/api/v4${path}`, {
    ...init,
    headers: {
      "private-token": double.adminToken,
      "content-type": "application/json",
      ...init.headers,
    },
  });

describe("the GitLab double over HTTP", () => {
  it("lists pending jobs newest first, page by page, with GitLab's paging headers", async () => {
    const ids = [1, 2, 3].map(() => double.model.enqueue({ projectId: 21 }).id);

    const first = await api("/projects/21/jobs?scope[]=pending&per_page=2&page=1");
    const last = await api("/projects/21/jobs?scope[]=pending&per_page=2&page=2");

    expect(((await first.json()) as { id: number }[]).map((job) => job.id)).toEqual([
      ids[2],
      ids[1],
    ]);
    expect(((await last.json()) as { id: number }[]).map((job) => job.id)).toEqual([ids[0]]);
    expect(
      Object.fromEntries(
        ["x-next-page", "x-total", "x-total-pages"].map((name) => [name, first.headers.get(name)]),
      ),
    ).toEqual({
      "x-next-page": "2",
      "x-total": "3",
      "x-total-pages": "2",
    });
    expect(last.headers.get("x-next-page")).toBe("");
  });

  it("lists a runner's jobs with their projects, by id as `sort` says only when `order_by` is given", async () => {
    const runner = double.model.createRunner({
      runnerType: "project_type",
      projectId: 23,
      description: "ci-autoscaler/linux-arm-0023",
      tagList: [],
      runUntagged: true,
      accessLevel: "not_protected",
    });
    const ids = [1, 2].map(() => {
      const job = double.model.enqueue({ projectId: 23 });
      double.model.requestJob(runner.id);
      return job.id;
    });
    const listed = async (query: string) =>
      ((await (await api(`/runners/${runner.id}/jobs${query}`)).json()) as { id: number }[]).map(
        (job) => job.id,
      );

    const newest = await api(`/runners/${runner.id}/jobs?order_by=id&sort=desc&per_page=1`);

    expect(await newest.json()).toEqual([
      expect.objectContaining({
        id: ids[1],
        status: "running",
        project: expect.objectContaining({ id: 23 }),
      }),
    ]);
    expect(await listed("?order_by=id")).toEqual([ids[1], ids[0]]);
    expect(await listed("?order_by=id&sort=asc")).toEqual(ids);
    expect(await listed("?sort=desc")).toEqual(ids);
    expect((await api(`/runners/${runner.id}/jobs?order_by=name`)).status).toBe(400);
  });

  it("answers a retry of an unfinished job 403, of a finished one 201 with the new job", async () => {
    const job = double.model.enqueue({ projectId: 22, tags: ["linux"] });
    const refused = await api(`/projects/22/jobs/${job.id}/retry`, { method: "POST" });
    double.model.finishJob(job.id, "canceled");

    const retried = await api(`/projects/22/jobs/${job.id}/retry`, { method: "POST" });

    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ message: "403 Forbidden - Job is not retryable" });
    expect(retried.status).toBe(201);
    expect(await retried.json()).toMatchObject({ status: "pending", tag_list: ["linux"] });
  });

  it("hands a runner a job over the runner API and takes its result, as gitlab-runner sees it", async () => {
    const runner = double.model.createRunner({
      runnerType: "project_type",
      projectId: 23,
      description: "runner-23",
      tagList: [],
      runUntagged: true,
      accessLevel: "not_protected",
    });
    const job = double.model.enqueue({ projectId: 23, durationSeconds: 2 });

    const request = await fetch(`${double.url}/api/v4/jobs/request`, {
      method: "POST",
      body: JSON.stringify({ token: runner.token }),
    });
    const handed = (await request.json()) as { id: number; token: string; variables: unknown[] };
    const report = await fetch(`${double.url}/api/v4/jobs/${job.id}`, {
      method: "PUT",
      body: JSON.stringify({ token: handed.token, state: "success" }),
    });

    expect(handed).toMatchObject({
      id: job.id,
      variables: [{ key: "DOUBLE_JOB_DURATION", value: "2" }],
    });
    expect(report.status).toBe(200);
    expect(double.model.jobs.get(job.id)).toMatchObject({ status: "success", runnerId: runner.id });
    expect(double.model.describeRunner(runner.id)).toMatchObject({ status: "online", busy: false });
  });
});
