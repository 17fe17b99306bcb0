import { type GitlabDouble, startGitlabDouble } from "@ger/local";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { GitLabApiError, GitLabRestClient } from "../src/index";

const clock = { now: () => new Date("2026-11-22T10:00:00Z") };
let gitlab: GitlabDouble;
let client: GitLabRestClient;
beforeAll(async () => {
  gitlab = await startGitlabDouble({ clock });
  client = new GitLabRestClient({
    baseUrl: gitlab.url,
    token: async () => gitlab.adminToken,
    maxRetryAfterSeconds: 2,
  });
});
afterAll(() => gitlab.stop());
beforeEach(() => {
  gitlab.faults.length = 0;
});

const createRequest = {
  runnerType: "group_type" as const,
  groupId: 42,
  description: "ci-autoscaler/linux-arm-0001",
  tagList: ["linux", "docker"],
  runUntagged: true,
  maximumTimeout: 3600,
  accessLevel: "not_protected" as const,
};

describe("GitLabRestClient against the GitLab double", () => {
  it("creates a runner and gets its glrt- token once", async () => {
    const created = await client.createRunner(createRequest);

    expect(created.token).toMatch(/^glrt-/);
    expect(gitlab.model.runners.get(created.id)).toMatchObject({
      description: "ci-autoscaler/linux-arm-0001",
      runnerType: "group_type",
      groupId: 42,
      tagList: ["linux", "docker"],
      runUntagged: true,
      maximumTimeout: 3600,
      accessLevel: "not_protected",
    });
  });

  it("reads a project's hooks with their alert status, and says undefined when it may not", async () => {
    gitlab.model.hooks.set(12, [{ url: "https://example.com/webhook", alertStatus: "disabled" }]);

    const hooks = await client.listProjectHooks(12);
    gitlab.faults.push({ method: "GET", path: /\/hooks/, status: 403, remaining: 1 });
    const forbidden = await client.listProjectHooks(12);

    expect(hooks).toEqual([{ url: "https://example.com/webhook", alertStatus: "disabled" }]);
    expect(forbidden).toBeUndefined();
    gitlab.model.hooks.delete(12);
  });

  it("fails with a non-retryable error on a bad token", async () => {
    const unauthorized = new GitLabRestClient({
      baseUrl: gitlab.url,
      token: async () => "glpat-wrong",
    });

    const attempt = unauthorized.getJob(1, 1);

    await expect(attempt).rejects.toBeInstanceOf(GitLabApiError);
    await expect(attempt).rejects.toMatchObject({ status: 401, retryable: false });
  });

  it("waits out a 429's Retry-After and tries again, counting the throttle", async () => {
    let throttles = 0;
    const counting = new GitLabRestClient({
      baseUrl: gitlab.url,
      token: async () => gitlab.adminToken,
      onThrottle: () => {
        throttles += 1;
      },
    });
    gitlab.faults.push({
      method: "POST",
      path: /\/user\/runners$/,
      status: 429,
      retryAfterSeconds: 0,
      remaining: 1,
    });

    const created = await counting.createRunner(createRequest);

    expect(created.token).toMatch(/^glrt-/);
    expect(throttles).toBe(1);
  });

  it("gives a 429 with a long Retry-After back to the caller, with the wait", async () => {
    gitlab.faults.push({
      method: "GET",
      path: /\/jobs\//,
      status: 429,
      retryAfterSeconds: 60,
      remaining: 1,
    });

    await expect(client.getJob(1, 1)).rejects.toMatchObject({
      status: 429,
      retryAfterSeconds: 60,
      retryable: true,
    });
  });

  it("repeats a GET after a 5xx, but never a POST that may have been applied", async () => {
    gitlab.faults.push({ method: "GET", path: /\/jobs\//, status: 502, remaining: 1 });
    gitlab.faults.push({ method: "POST", path: /\/user\/runners$/, status: 500, remaining: 1 });
    const job = gitlab.model.enqueue({ projectId: 3 });
    const runnersBefore = gitlab.model.runners.size;

    const read = await client.getJob(3, job.id);
    const create = client.createRunner(createRequest);

    expect(read?.status).toBe("pending");
    await expect(create).rejects.toMatchObject({ status: 500 });
    expect(gitlab.model.runners.size).toBe(runnersBefore);
  });

  it("refuses a runner type GitLab does not know, with GitLab's 400", async () => {
    await expect(
      client.createRunner({ ...createRequest, runnerType: "shared" as never }),
    ).rejects.toMatchObject({ status: 400 });
  });
});

describe("GitLabRestClient: reading runners", () => {
  it("asks for the runner's running jobs where GitLab does not say job_execution_status", async () => {
    const older = await startGitlabDouble({ clock, reportsJobExecutionStatus: false });
    const olderClient = new GitLabRestClient({
      baseUrl: older.url,
      token: async () => older.adminToken,
    });
    const { id } = await olderClient.createRunner({
      ...createRequest,
      runnerType: "instance_type",
    });
    older.model.enqueue({ projectId: 50, tags: ["linux"] });
    older.model.requestJob(id);

    const runner = await olderClient.getRunner(id);
    await older.stop();

    expect(runner).toMatchObject({ id, busy: true });
    expect(older.apiCalls.get(String.raw`GET ^\/api\/v4\/runners\/(\d+)\/jobs$`)).toBe(1);
  });

  it("lists a runner's jobs newest first in one request, asking GitLab to order them by id", async () => {
    // A group of its own: the double's other tests leave pending jobs an instance runner would take.
    const { id } = await client.createRunner({ ...createRequest, groupId: 610 });
    const ids = [61, 62].map((projectId) => {
      const job = gitlab.model.enqueue({ projectId, groupId: 610, tags: ["linux"] });
      gitlab.model.requestJob(id);
      if (projectId === 61) gitlab.model.finishJob(job.id, "failed");
      return job.id;
    });
    const realFetch = globalThis.fetch;
    const urls: URL[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      urls.push(new URL(String(input)));
      return realFetch(input, init);
    });

    const jobs = await client.listRunnerJobs(id).finally(() => vi.restoreAllMocks());

    const startedAt = clock.now().toISOString();
    expect(jobs).toEqual([
      { id: ids[1], projectId: 62, status: "running", tagList: ["linux"], runnerId: id, startedAt },
      { id: ids[0], projectId: 61, status: "failed", tagList: ["linux"], runnerId: id, startedAt },
    ]);
    expect(urls.map((url) => [url.pathname, Object.fromEntries(url.searchParams)])).toEqual([
      [`/api/v4/runners/${id}/jobs`, { order_by: "id", sort: "desc", per_page: "10" }],
    ]);
  });

  it("lists no jobs for a runner GitLab answers 404 for, and gives a 429 back to the caller", async () => {
    const { id } = await client.createRunner({ ...createRequest, groupId: 630 });
    gitlab.model.enqueue({ projectId: 63, groupId: 630 });
    gitlab.model.requestJob(id);
    gitlab.faults.push({
      method: "GET",
      path: /\/runners\/\d+\/jobs/,
      status: 429,
      retryAfterSeconds: 60,
      remaining: 1,
    });

    const throttled = client.listRunnerJobs(id);
    await expect(throttled).rejects.toMatchObject({ status: 429, retryable: true });
    gitlab.model.deleteRunner(id);

    expect(await client.listRunnerJobs(id)).toEqual([]);
  });

  it("lists a group's runners across pages", async () => {
    const created = [];
    for (let i = 0; i < 105; i++)
      created.push(await client.createRunner({ ...createRequest, groupId: 777 }));

    const listed = await client.listRunners({ runnerType: "group_type", groupId: 777 });

    expect(listed.map((runner) => runner.id).sort((a, b) => a - b)).toEqual(
      created.map((runner) => runner.id),
    );
    expect(listed[0]).toMatchObject({
      description: "ci-autoscaler/linux-arm-0001",
      status: "never_contacted",
    });
  });
});
