import { type GitlabDouble, startGitlabDouble } from "@ger/local";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GitLabApiError, GitLabRestClient } from "../src/index";

let gitlab: GitlabDouble;
let client: GitLabRestClient;
beforeAll(async () => {
  gitlab = await startGitlabDouble();
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
      tags: ["linux", "docker"],
      runUntagged: true,
      maximumTimeout: 3600,
    });
  });

  it("deletes a runner, and treats one already gone as deleted", async () => {
    const { id } = await client.createRunner(createRequest);

    await client.deleteRunner(id);
    await client.deleteRunner(id);

    expect(gitlab.model.runners.has(id)).toBe(false);
  });

  it("reads a project's hooks with their alert status, and says undefined when it may not", async () => {
    gitlab.model.hooks.push({ url: "https://example.com/webhook", alertStatus: "disabled" });

    const hooks = await client.listProjectHooks(12);
    gitlab.faults.push({ method: "GET", path: /\/hooks/, status: 403, remaining: 1 });
    const forbidden = await client.listProjectHooks(12);

    expect(hooks).toEqual([{ url: "https://example.com/webhook", alertStatus: "disabled" }]);
    expect(forbidden).toBeUndefined();
    gitlab.model.hooks.length = 0;
  });

  it("reads a job's tags and status, and says undefined for a job GitLab does not have", async () => {
    const job = gitlab.model.enqueue({ projectId: 12, tags: ["linux"] });

    expect(await client.getJob(12, job.id)).toEqual({
      id: job.id,
      projectId: 12,
      status: "pending",
      tagList: ["linux"],
    });
    expect(await client.getJob(13, job.id)).toBeUndefined();
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
  it("reads a runner's status and whether it is running a job", async () => {
    const { id, token } = await client.createRunner(createRequest);
    const before = await client.getRunner(id);
    gitlab.model.enqueue({ projectId: 50, tags: ["linux"] });
    const taken = gitlab.model.assignJob(gitlab.model.runnerByToken(token)!);

    const during = await client.getRunner(id);

    expect(before).toMatchObject({ id, status: "never_contacted", busy: false });
    expect(during).toMatchObject({ id, status: "online", busy: true });
    expect(taken?.runnerId).toBe(id);
    expect(await client.getRunner(999_999)).toBeUndefined();
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
