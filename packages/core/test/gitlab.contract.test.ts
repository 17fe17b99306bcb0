import type { CreateRunnerRequest, HooksApi, JobsApi, RunnerRegistry } from "@ger/core/types";
import { startGitlabDouble } from "@ger/local";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitLabRestClient, type GitlabModel, InMemoryGitlab } from "../src/index";

const T0 = new Date("2026-11-22T10:00:00Z");

interface Subject {
  readonly gitlab: RunnerRegistry & JobsApi & HooksApi;
  readonly model: GitlabModel;
  stop(): Promise<void>;
}

/** The REST client against the double on loopback, which serves the model over HTTP. */
const overHttp =
  (reportsJobExecutionStatus: boolean) =>
  async (clock: { now(): Date }): Promise<Subject> => {
    const double = await startGitlabDouble({ clock, reportsJobExecutionStatus });
    const gitlab = new GitLabRestClient({
      baseUrl: double.url,
      token: async () => double.adminToken,
    });
    return { gitlab, model: double.model, stop: double.stop };
  };

const subjects: [string, (clock: { now(): Date }) => Promise<Subject>][] = [
  ["GitLabRestClient → GitLab double", overHttp(true)],
  ["GitLabRestClient → GitLab double before 17 (no job_execution_status)", overHttp(false)],
  [
    "InMemoryGitlab",
    async (clock) => {
      const gitlab = new InMemoryGitlab({ clock });
      return { gitlab, model: gitlab.model, stop: async () => undefined };
    },
  ],
];

const groupRunner: CreateRunnerRequest = {
  runnerType: "group_type",
  groupId: 42,
  description: "ci-autoscaler/linux-arm-0001",
  tagList: ["linux", "docker"],
  runUntagged: true,
  maximumTimeout: 3600,
  accessLevel: "not_protected",
};

describe.each(subjects)("GitLab contract: %s", (_, makeSubject) => {
  let now: Date;
  let subject: Subject;
  let gitlab: Subject["gitlab"];
  let model: GitlabModel;
  const advance = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
  };
  beforeEach(async () => {
    now = T0;
    subject = await makeSubject({ now: () => now });
    ({ gitlab, model } = subject);
  });
  afterEach(() => subject.stop());

  describe("runners", () => {
    it("creates a runner, lists it in its scope only, and deletes it (twice is no error)", async () => {
      const { id, token } = await gitlab.createRunner(groupRunner);
      const listed = {
        group: await gitlab.listRunners({ runnerType: "group_type", groupId: 42 }),
        otherGroup: await gitlab.listRunners({ runnerType: "group_type", groupId: 43 }),
        instance: await gitlab.listRunners({ runnerType: "instance_type" }),
      };
      const read = await gitlab.getRunner(id);

      await gitlab.deleteRunner(id);
      await gitlab.deleteRunner(id);

      expect(token).toMatch(/^glrt-/);
      expect(listed).toEqual({
        group: [{ id, description: groupRunner.description, status: "never_contacted" }],
        otherGroup: [],
        instance: [],
      });
      expect(read).toEqual({
        id,
        description: groupRunner.description,
        status: "never_contacted",
        busy: false,
      });
      expect(await gitlab.getRunner(id)).toBeUndefined();
    });

    it("is online once it has asked for a job, and offline two hours after its last call", async () => {
      const { id } = await gitlab.createRunner(groupRunner);
      advance(30);
      model.requestJob(id);
      const polled = await gitlab.getRunner(id);
      advance(2 * 3600);

      const silent = await gitlab.getRunner(id);

      expect(polled).toEqual({
        id,
        description: groupRunner.description,
        status: "online",
        contactedAt: "2026-11-22T10:00:30.000Z",
        busy: false,
      });
      expect(silent).toMatchObject({ status: "offline", contactedAt: "2026-11-22T10:00:30.000Z" });
    });

    it("is busy while it runs a job, and only then", async () => {
      const { id } = await gitlab.createRunner(groupRunner);
      const job = model.enqueue({ projectId: 5, groupId: 42, tags: ["linux"] });
      model.requestJob(id);
      const running = await gitlab.getRunner(id);
      advance(60);
      model.finishJob(job.id, "success");

      const done = await gitlab.getRunner(id);

      expect(running).toMatchObject({ status: "online", busy: true });
      expect(done).toMatchObject({
        status: "online",
        contactedAt: "2026-11-22T10:01:00.000Z",
        busy: false,
      });
      expect(await gitlab.getJob(5, job.id)).toMatchObject({ status: "success" });
    });
  });

  describe("a runner's jobs", () => {
    it("lists the jobs a runner took, newest first, with project, status and runner", async () => {
      const { id } = await gitlab.createRunner({ ...groupRunner, runnerType: "instance_type" });
      const other = await gitlab.createRunner({ ...groupRunner, runnerType: "instance_type" });
      const first = model.enqueue({ projectId: 5, tags: ["linux"] });
      model.requestJob(id);
      model.finishJob(first.id, "failed");
      const second = model.enqueue({ projectId: 6 });
      model.requestJob(id);
      model.enqueue({ projectId: 5 });
      model.requestJob(other.id);

      const listed = await gitlab.listRunnerJobs(id);

      const startedAt = now.toISOString();
      expect(listed).toEqual([
        { id: second.id, projectId: 6, status: "running", tagList: [], runnerId: id, startedAt },
        {
          id: first.id,
          projectId: 5,
          status: "failed",
          tagList: ["linux"],
          runnerId: id,
          startedAt,
        },
      ]);
    });

    it("lists none for a runner without jobs, or one GitLab no longer has", async () => {
      const { id } = await gitlab.createRunner(groupRunner);
      const idle = await gitlab.listRunnerJobs(id);
      await gitlab.deleteRunner(id);

      expect(idle).toEqual([]);
      expect(await gitlab.listRunnerJobs(id)).toEqual([]);
    });
  });

  describe("which runner gets which job", () => {
    const runnerOf = async (request: Partial<CreateRunnerRequest>) =>
      (await gitlab.createRunner({ ...groupRunner, ...request })).id;

    it("gives a project runner its own project's jobs, never another project's", async () => {
      const id = await runnerOf({ runnerType: "project_type", projectId: 7, groupId: undefined });
      model.enqueue({ projectId: 8 });
      const own = model.enqueue({ projectId: 7 });

      expect(model.requestJob(id)?.id).toBe(own.id);
      expect(model.requestJob(id)).toBeUndefined();
    });

    it("gives a group runner the jobs of its group's projects only", async () => {
      const id = await runnerOf({ groupId: 42 });
      model.enqueue({ projectId: 9 });
      model.enqueue({ projectId: 10, groupId: 43 });
      const inGroup = model.enqueue({ projectId: 11, groupId: 42 });

      expect(model.requestJob(id)?.id).toBe(inGroup.id);
      expect(model.requestJob(id)).toBeUndefined();
    });

    it("gives an instance runner any project's jobs whose tags it has, untagged ones with run_untagged", async () => {
      const tagged = await runnerOf({ runnerType: "instance_type", runUntagged: false });
      const untagged = await runnerOf({ runnerType: "instance_type", runUntagged: true });
      model.enqueue({ projectId: 12, tags: ["linux", "gpu"] });
      const plain = model.enqueue({ projectId: 13 });
      const linux = model.enqueue({ projectId: 14, tags: ["linux"] });

      expect(model.requestJob(tagged)?.id).toBe(linux.id);
      expect(model.requestJob(tagged)).toBeUndefined();
      expect(model.requestJob(untagged)?.id).toBe(plain.id);
      expect(model.requestJob(untagged)).toBeUndefined();
    });

    it("hands out the oldest pending job first", async () => {
      const id = await runnerOf({ runnerType: "instance_type" });
      const first = model.enqueue({ projectId: 5 });
      model.enqueue({ projectId: 5 });

      expect(model.requestJob(id)?.id).toBe(first.id);
    });

    it("hands out the lowest pending id first, also a later stage's job released after newer ones", async () => {
      const id = await runnerOf({ runnerType: "instance_type" });
      const laterStage = model.enqueue({ projectId: 5, pending: false });
      const newer = model.enqueue({ projectId: 5 });
      const newest = model.enqueue({ projectId: 5 });
      const first = model.requestJob(id);
      model.release(laterStage.id);
      const listed = await gitlab.listPendingJobs(5, 10);

      const then = [model.requestJob(id), model.requestJob(id), model.requestJob(id)];

      expect([first, ...then].map((job) => job?.id)).toEqual([
        newer.id,
        laterStage.id,
        newest.id,
        undefined,
      ]);
      expect(listed.map((job) => job.id)).toEqual([laterStage.id, newest.id]);
      expect(await gitlab.listPendingJobs(5, 10)).toEqual([]);
    });
  });

  describe("jobs", () => {
    it("lists a project's newest pending jobs, newest first, in one request", async () => {
      const [older, newer, newest] = [5, 5, 5].map((projectId) =>
        model.enqueue({ projectId, tags: ["docker"] }),
      );
      model.enqueue({ projectId: 6 });

      const two = await gitlab.listNewestWaitingJobs(5, 2);

      expect(two.map((job) => [job.id, job.tagList])).toEqual([
        [newest!.id, ["docker"]],
        [newer!.id, ["docker"]],
      ]);
      expect(older!.id).toBeLessThan(newer!.id);
    });

    it("lists a project's oldest pending jobs, oldest first, at most the limit", async () => {
      const runner = await gitlab.createRunner({ ...groupRunner, runnerType: "instance_type" });
      const [taken, older, newer, newest] = [5, 5, 5, 5].map((projectId) =>
        model.enqueue({ projectId, tags: ["linux"] }),
      );
      model.enqueue({ projectId: 6, tags: ["linux"] });
      model.requestJob(runner.id);

      const all = await gitlab.listPendingJobs(5, 10);
      const two = await gitlab.listPendingJobs(5, 2, { perPage: 1 });

      expect(model.jobs.get(taken!.id)?.status).toBe("running");
      expect(all.map((job) => job.id)).toEqual([older!.id, newer!.id, newest!.id]);
      expect(two.map((job) => job.id)).toEqual([older!.id, newer!.id]);
      expect(all[0]).toEqual({
        id: older!.id,
        projectId: 5,
        status: "pending",
        tagList: ["linux"],
      });
    });

    it("reads a job, and says undefined for one GitLab does not have in that project", async () => {
      const job = model.enqueue({ projectId: 5, tags: ["linux"] });

      expect(await gitlab.getJob(5, job.id)).toEqual({
        id: job.id,
        projectId: 5,
        status: "pending",
        tagList: ["linux"],
      });
      expect(await gitlab.getJob(6, job.id)).toBeUndefined();
      expect(await gitlab.getJob(5, job.id + 1000)).toBeUndefined();
    });

    it("retries a finished job as a new pending one, once; refuses an unfinished one with 403", async () => {
      const { id } = await gitlab.createRunner({ ...groupRunner, runnerType: "instance_type" });
      const job = model.enqueue({ projectId: 5, tags: ["linux"] });
      const refused = () => gitlab.retryJob(5, job.id).catch((error: unknown) => error);
      const whilePending = await refused();
      model.requestJob(id);
      const whileRunning = await refused();
      model.finishJob(job.id, "failed");

      const retry = await gitlab.retryJob(5, job.id);

      for (const error of [whilePending, whileRunning])
        expect(error).toMatchObject({
          status: 403,
          message: expect.stringMatching(/not retryable/),
        });
      expect(retry).toEqual({ id: retry.id, projectId: 5, status: "pending", tagList: ["linux"] });
      expect(retry.id).toBeGreaterThan(job.id);
      expect(await gitlab.getJob(5, retry.id)).toMatchObject({ status: "pending" });
      await expect(gitlab.retryJob(5, job.id)).rejects.toMatchObject({ status: 403 });
      await expect(gitlab.retryJob(6, job.id)).rejects.toMatchObject({ status: 404 });
    });
  });

  it("reads a project's hooks with their alert status", async () => {
    model.hooks.set(5, [
      { url: "https://example.com/webhook", alertStatus: "temporarily_disabled" },
    ]);

    expect(await gitlab.listProjectHooks(5)).toEqual([
      { url: "https://example.com/webhook", alertStatus: "temporarily_disabled" },
    ]);
  });
});
