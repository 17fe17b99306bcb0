import { type GitlabDouble, startGitlabDouble } from "@ger/local";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GitLabApiError, GitLabRestClient, GitLabSetupRestApi } from "../src/index";
import type { HookOwner } from "../src/types";

const clock = { now: () => new Date("2026-11-22T10:00:00Z") };
const RUNNERS_ONLY = "glpat-manages-runners-only";
let gitlab: GitlabDouble;
const setupApi = (token: string) =>
  new GitLabSetupRestApi(
    new GitLabRestClient({
      baseUrl: gitlab.url,
      token: async () => token,
      maxRetryAfterSeconds: 2,
    }),
  );
let api: GitLabSetupRestApi;
beforeAll(async () => {
  gitlab = await startGitlabDouble({
    clock,
    version: "17.11.2-ee",
    tokens: [
      {
        token: RUNNERS_ONLY,
        name: "runners only",
        scopes: ["manage_runner", "read_api"],
        expiresAt: "2027-01-31",
      },
    ],
  });
  api = setupApi(gitlab.adminToken);
});
afterAll(() => gitlab.stop());
beforeEach(() => {
  gitlab.faults.length = 0;
});

const probe = {
  runnerType: "project_type" as const,
  projectId: 12,
  description: "ci-autoscaler/doctor-probe",
  tagList: ["doctor"],
  runUntagged: false,
  maximumTimeout: 600,
  accessLevel: "not_protected" as const,
};
const settings = { url: "https://ci.example/webhook", token: "hook-secret" };

describe("GitLabSetupRestApi against the GitLab double", () => {
  it("reads GitLab's version and the token's own facts", async () => {
    const version = await api.version();
    const token = await setupApi(RUNNERS_ONLY).currentToken();

    expect(version).toEqual({ version: "17.11.2-ee", revision: expect.any(String) });
    expect(token).toEqual({
      name: "runners only",
      scopes: ["manage_runner", "read_api"],
      expiresAt: "2027-01-31",
      active: true,
      revoked: false,
    });
  });

  it("creates a paused probe runner that takes no job, and deletes it twice without error", async () => {
    const created = await api.createPausedRunner(probe);
    const job = gitlab.model.enqueue({ projectId: 12, tags: ["doctor"] });
    const handed = gitlab.model.requestJob(created.id);

    await api.deleteRunner(created.id);
    await api.deleteRunner(created.id);

    expect(created.token).toMatch(/^glrt-/);
    expect(handed).toBeUndefined();
    expect(gitlab.model.jobs.get(job.id)?.status).toBe("pending");
    expect(gitlab.model.runners.has(created.id)).toBe(false);
  });

  it("fails with a 403 naming insufficient_scope when the token may not create runners", async () => {
    const refused = await setupApi(RUNNERS_ONLY)
      .createPausedRunner(probe)
      .catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(GitLabApiError);
    expect(refused).toMatchObject({
      status: 403,
      message: expect.stringContaining("insufficient_scope"),
    });
  });

  it.each<HookOwner>([
    { kind: "project", id: 21 },
    { kind: "group", id: 22 },
  ])("creates, lists, updates and deletes a $kind hook for job events only", async (owner) => {
    if (owner.kind === "group") gitlab.model.groupHooks.set(owner.id, []);

    const created = await api.createHook(owner, settings);
    const listed = await api.listHooks(owner);
    const updated = await api.updateHook(owner, created.id, {
      url: "https://ci.example/webhook-2",
      token: "hook-secret-2",
    });
    const token = gitlab.model.hookToken(owner, created.id);
    await api.deleteHook(owner, created.id);
    await api.deleteHook(owner, created.id);

    expect(created).toEqual({
      id: expect.any(Number),
      url: settings.url,
      jobEvents: true,
      otherEvents: [],
      enableSslVerification: true,
      alertStatus: "executable",
    });
    expect(listed).toEqual([created]);
    expect(updated).toEqual({ ...created, url: "https://ci.example/webhook-2" });
    expect(token).toBe("hook-secret-2");
    expect(await api.listHooks(owner)).toEqual([]);
  });

  it("lists hooks across pages, with the events other than job events they are sent", async () => {
    const owner = { kind: "project", id: 23 } as const;
    gitlab.model.hooks.set(
      owner.id,
      Array.from({ length: 101 }, (_, index) => ({
        url: `https://ci.example/hook-${index}`,
        alertStatus: "executable",
        events: ["job_events", "push_events"],
      })),
    );

    const hooks = await api.listHooks(owner);

    expect(hooks).toHaveLength(101);
    expect(hooks?.[100]).toMatchObject({ id: 101, jobEvents: true, otherEvents: ["push_events"] });
  });

  it("says undefined where the token may not read the hooks (403) or the owner is unknown (404)", async () => {
    const group = await api.listHooks({ kind: "group", id: 24 });
    gitlab.faults.push({ method: "GET", path: /\/projects\/25\/hooks/, status: 404, remaining: 1 });
    const project = await api.listHooks({ kind: "project", id: 25 });

    expect(group).toBeUndefined();
    expect(project).toBeUndefined();
  });
});
