import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitlabDouble, startGitlabDouble } from "../src/index";

const clock = { now: () => new Date("2026-11-22T10:00:00Z") };
const TOKENS = {
  runnerCreator: "glpat-creates-runners",
  runnerManager: "glpat-manages-runners",
  reader: "glpat-reads",
  expired: "glpat-expired",
  revoked: "glpat-revoked",
  groupMember: "glpat-not-owner-of-group-42",
};
let double: GitlabDouble;
beforeAll(async () => {
  double = await startGitlabDouble({
    clock,
    tokens: [
      {
        token: TOKENS.runnerCreator,
        name: "creator",
        scopes: ["create_runner"],
        expiresAt: "2026-11-23",
      },
      { token: TOKENS.runnerManager, name: "manager", scopes: ["manage_runner"] },
      { token: TOKENS.reader, name: "reader", scopes: ["read_api"] },
      { token: TOKENS.expired, name: "expired", scopes: ["api"], expiresAt: "2026-11-22" },
      { token: TOKENS.revoked, name: "revoked", scopes: ["api"], revoked: true },
      {
        token: TOKENS.groupMember,
        name: "member",
        scopes: ["api"],
        deniedRunnerScopes: [{ runnerType: "group_type", groupId: 42 }],
      },
    ],
  });
});
afterAll(() => double.stop());

const call = (
  path: string,
  {
    token = double.adminToken,
    method = "GET",
    body,
  }: { token?: string; method?: string; body?: unknown } = {},
) =>
  fetch(`${double.url}/api/v4${path}`, {
    method,
    headers: { "private-token": token, "content-type": "application/json" },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });

const answer = async (response: Response) => ({
  status: response.status,
  body: response.status === 204 ? undefined : await response.json(),
});

const runnerBody = (fields: Record<string, unknown> = {}) => ({
  runner_type: "project_type",
  project_id: 31,
  description: "probe",
  run_untagged: true,
  ...fields,
});

describe("the GitLab double's token checks", () => {
  it("answers GET /version and /personal_access_tokens/self as GitLab does", async () => {
    const version = await answer(await call("/version"));
    const self = await answer(
      await call("/personal_access_tokens/self", { token: TOKENS.runnerCreator }),
    );

    expect(version).toEqual({
      status: 200,
      body: { version: "18.6.0-ee", revision: expect.any(String) },
    });
    expect(self).toEqual({
      status: 200,
      body: expect.objectContaining({
        id: expect.any(Number),
        name: "creator",
        revoked: false,
        created_at: "2026-11-22T10:00:00.000Z",
        scopes: ["create_runner"],
        user_id: expect.any(Number),
        last_used_at: "2026-11-22T10:00:00.000Z",
        active: true,
        expires_at: "2026-11-23",
      }),
    });
  });

  it("refuses an unknown, missing, expired or revoked token with GitLab's 401 bodies", async () => {
    const unknown = await answer(await call("/version", { token: "glpat-nobody" }));
    const missing = await answer(await fetch(`${double.url}/api/v4/version`));
    const expired = await answer(await call("/version", { token: TOKENS.expired }));
    const revoked = await answer(await call("/version", { token: TOKENS.revoked }));

    expect(unknown).toEqual({ status: 401, body: { message: "401 Unauthorized" } });
    expect(missing).toEqual(unknown);
    expect(expired).toEqual({
      status: 401,
      body: {
        error: "invalid_token",
        error_description: "Token is expired. You can either do re-authorization or token refresh.",
      },
    });
    expect(revoked).toEqual({
      status: 401,
      body: {
        error: "invalid_token",
        error_description: "Token was revoked. You have to re-authorize from the user.",
      },
    });
  });

  it.each([
    // [token, method, path, refused with the scopes GitLab names, or undefined when let through]
    ["runnerCreator", "POST", "/user/runners", undefined],
    ["runnerCreator", "GET", "/version", "read_user ai_features api read_api"],
    ["runnerCreator", "GET", "/runners/999", "manage_runner api read_api"],
    ["runnerManager", "GET", "/runners/999", undefined],
    ["runnerManager", "DELETE", "/runners/999", undefined],
    ["runnerManager", "GET", "/runners/all", "manage_runner api read_api"],
    ["runnerManager", "POST", "/user/runners", "create_runner api read_api"],
    ["reader", "GET", "/groups/5/runners", undefined],
    ["reader", "GET", "/projects/31/hooks", undefined],
    ["reader", "POST", "/projects/31/hooks", "api read_api"],
    ["reader", "DELETE", "/runners/999", "manage_runner api read_api"],
    ["reader", "GET", "/personal_access_tokens/self", undefined],
  ] as const)(
    "with %s, %s %s answers insufficient_scope: %s",
    async (token, method, path, scope) => {
      const body =
        method === "POST" && path === "/user/runners"
          ? runnerBody()
          : { url: "https://x.example/h" };

      const { status, body: answered } = await answer(
        await call(path, { token: TOKENS[token], method, ...(method === "POST" && { body }) }),
      );

      if (scope === undefined) expect(status).not.toBe(403);
      else
        expect({ status, answered }).toEqual({
          status: 403,
          answered: {
            error: "insufficient_scope",
            error_description:
              "The request requires higher privileges than provided by the access token.",
            scope,
          },
        });
    },
  );

  it("refuses a runner where the token's user lacks the role, as GitLab's runner service does", async () => {
    const forbidden = {
      status: 403,
      body: { message: "403 Forbidden - Insufficient permissions" },
    };

    const instance = await call("/user/runners", {
      token: TOKENS.runnerCreator,
      method: "POST",
      body: runnerBody({ runner_type: "instance_type" }),
    });
    const deniedGroup = await call("/user/runners", {
      token: TOKENS.groupMember,
      method: "POST",
      body: runnerBody({ runner_type: "group_type", group_id: 42 }),
    });
    const otherGroup = await call("/user/runners", {
      token: TOKENS.groupMember,
      method: "POST",
      body: runnerBody({ runner_type: "group_type", group_id: 43 }),
    });

    expect(await answer(instance)).toEqual(forbidden);
    expect(await answer(deniedGroup)).toEqual(forbidden);
    expect(otherGroup.status).toBe(201);
  });
});

describe("the GitLab double's paused runners", () => {
  it("creates a paused runner that shows paused and never gets a job", async () => {
    const created = (await (
      await call("/user/runners", { method: "POST", body: runnerBody({ paused: true }) })
    ).json()) as { id: number; token: string };
    const job = double.model.enqueue({ projectId: 31 });

    const shown = await (await call(`/runners/${created.id}`)).json();
    const request = await fetch(`${double.url}/api/v4/jobs/request`, {
      method: "POST",
      body: JSON.stringify({ token: created.token }),
    });

    expect(shown).toMatchObject({ paused: true, active: false });
    expect(request.status).toBe(204);
    expect(double.model.jobs.get(job.id)?.status).toBe("pending");
  });
});

describe("the GitLab double's webhooks", () => {
  it("creates a project hook with GitLab's defaults and never shows its token", async () => {
    const missing = await answer(await call("/projects/51/hooks", { method: "POST", body: {} }));

    const created = await answer(
      await call("/projects/51/hooks", {
        method: "POST",
        body: { url: "https://ci.example/webhook", token: "s3cret", job_events: true },
      }),
    );
    const listed = await answer(await call("/projects/51/hooks"));
    const hookId = (created.body as { id: number }).id;

    expect(missing).toEqual({ status: 400, body: { error: "url is missing" } });
    expect(created).toMatchObject({
      status: 201,
      body: {
        url: "https://ci.example/webhook",
        project_id: 51,
        push_events: true,
        job_events: true,
        pipeline_events: false,
        enable_ssl_verification: true,
        alert_status: "executable",
      },
    });
    expect(created.body).not.toHaveProperty("token");
    expect(listed.body).toEqual([created.body]);
    expect(double.model.hookToken({ kind: "project", id: 51 }, hookId)).toBe("s3cret");
  });

  it("updates and deletes a group hook; a new URL without a token clears the token", async () => {
    double.model.groupHooks.set(61, []);
    const owner = { kind: "group", id: 61 } as const;
    const { id } = (await (
      await call("/groups/61/hooks", {
        method: "POST",
        body: { url: "https://ci.example/a", token: "s3cret", push_events: false },
      })
    ).json()) as { id: number };

    const updated = await answer(
      await call(`/groups/61/hooks/${id}`, {
        method: "PUT",
        body: { url: "https://ci.example/b" },
      }),
    );
    const tokenAfter = double.model.hookToken(owner, id);
    const unknown = await answer(
      await call("/groups/61/hooks/9999", { method: "PUT", body: { url: "https://ci.example/c" } }),
    );
    const deleted = await answer(await call(`/groups/61/hooks/${id}`, { method: "DELETE" }));
    const again = await answer(await call(`/groups/61/hooks/${id}`, { method: "DELETE" }));

    expect(updated).toMatchObject({
      status: 200,
      body: {
        id,
        url: "https://ci.example/b",
        group_id: 61,
        push_events: false,
        subgroup_events: false,
      },
    });
    expect(tokenAfter).toBeUndefined();
    expect(unknown).toEqual({ status: 404, body: { message: "404 Not found" } });
    expect(deleted).toEqual({ status: 204, body: undefined });
    expect(again).toEqual({ status: 404, body: { message: "404 Not found" } });
  });

  it("answers 403 to reads and writes of a group's hooks the token may not read", async () => {
    const forbidden = { status: 403, body: { message: "403 Forbidden" } };

    const read = await answer(await call("/groups/71/hooks"));
    const write = await answer(
      await call("/groups/71/hooks", { method: "POST", body: { url: "https://ci.example/a" } }),
    );

    expect(read).toEqual(forbidden);
    expect(write).toEqual(forbidden);
  });

  it("shows a hook a test set with a URL alone as a job-events hook", async () => {
    double.model.hooks.set(81, [{ url: "https://ci.example/webhook", alertStatus: "disabled" }]);

    const { body } = await answer(await call("/projects/81/hooks"));

    expect(body).toEqual([
      expect.objectContaining({
        id: 1,
        url: "https://ci.example/webhook",
        job_events: true,
        push_events: false,
        enable_ssl_verification: true,
        alert_status: "disabled",
      }),
    ]);
  });
});
