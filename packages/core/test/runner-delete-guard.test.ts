import type { CreateRunnerRequest, RunnerRegistry } from "@ger/core/types";
import { startGitlabDouble } from "@ger/local";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GitLabRestClient, type GitlabModel, InMemoryGitlab } from "../src/index";

const clock = { now: () => new Date("2026-11-22T10:00:00Z") };

/** A GitLab registry that may delete only ci-autoscaler's runners, and what it refused. */
interface Subject {
  readonly registry: RunnerRegistry;
  readonly model: GitlabModel;
  readonly refused: number[];
  /** The double's address, over HTTP. */
  readonly url?: string;
  stop(): Promise<void>;
}

/** The REST client against the double on loopback. */
const overHttp = async (): Promise<Subject> => {
  const double = await startGitlabDouble({ clock });
  const refused: number[] = [];
  const registry = new GitLabRestClient({
    baseUrl: double.url,
    token: async () => double.adminToken,
    deployment: "ci-autoscaler",
    onRefusedDelete: (runnerId) => refused.push(runnerId),
  });
  return { registry, model: double.model, refused, url: double.url, stop: double.stop };
};

const inMemory = async (): Promise<Subject> => {
  const gitlab = new InMemoryGitlab({ clock, deployment: "ci-autoscaler" });
  return {
    registry: gitlab,
    model: gitlab.model,
    refused: gitlab.refusedDeletes,
    stop: async () => undefined,
  };
};

const runner = (description: string): CreateRunnerRequest => ({
  runnerType: "instance_type",
  description,
  tagList: ["linux"],
  runUntagged: false,
  maximumTimeout: 3600,
  accessLevel: "not_protected",
});

describe.each([
  ["GitLabRestClient → GitLab double", overHttp],
  ["InMemoryGitlab", inMemory],
])("deleteRunner with a deployment (%s)", (_, makeSubject) => {
  let subject: Subject;
  beforeEach(async () => {
    subject = await makeSubject();
  });
  afterEach(() => subject.stop());

  it("deletes a runner whose description names this deployment", async () => {
    const ours = subject.model.createRunner(runner("ci-autoscaler/linux-arm-0001"));

    await subject.registry.deleteRunner(ours.id);

    expect(subject.model.runners.has(ours.id)).toBe(false);
    expect(subject.refused).toEqual([]);
  });

  it.each([
    ["another deployment's", "ci-autoscaler-staging/linux-arm-0001"],
    ["a hand-registered", "build box in room 4"],
    ["a description-less", ""],
  ])("leaves %s runner in GitLab and reports it", async (_, description) => {
    const theirs = subject.model.createRunner(runner(description));

    await subject.registry.deleteRunner(theirs.id);

    expect(subject.model.runners.has(theirs.id)).toBe(true);
    expect(subject.refused).toEqual([theirs.id]);
  });

  it("lists the jobs of this deployment's runner only: another's are not ours to mark", async () => {
    const ours = subject.model.createRunner(runner("ci-autoscaler/linux-arm-0001"));
    const theirs = subject.model.createRunner(runner("build box in room 4"));
    const jobs = [ours, theirs].map(({ id }) => {
      subject.model.enqueue({ projectId: 5, tags: ["linux"] });
      return subject.model.requestJob(id)?.id;
    });

    const listed = {
      ours: await subject.registry.listRunnerJobs(ours.id),
      theirs: await subject.registry.listRunnerJobs(theirs.id),
    };

    expect(listed).toEqual({
      ours: [
        {
          id: jobs[0],
          projectId: 5,
          status: "running",
          tagList: ["linux"],
          runnerId: ours.id,
          startedAt: expect.any(String),
        },
      ],
      theirs: [],
    });
  });

  it("resets the token of this deployment's runner only: the old token is refused from then on", async () => {
    const ours = subject.model.createRunner(runner("ci-autoscaler/linux-arm-0001"));
    const theirs = subject.model.createRunner(runner("ci-autoscaler-staging/linux-arm-0001"));

    const token = await subject.registry.resetRunnerToken(ours.id);
    const refused = await subject.registry.resetRunnerToken(theirs.id);

    expect(token).toMatch(/^glrt-/);
    expect(subject.model.runnerByToken(ours.token)).toBeUndefined();
    expect(subject.model.runnerByToken(token)?.id).toBe(ours.id);
    expect(refused).toBeUndefined();
    expect(subject.model.runnerByToken(theirs.token)?.id).toBe(theirs.id);
    expect(await subject.registry.resetRunnerToken(4242)).toBeUndefined();
  });

  it("takes a runner already gone for deleted", async () => {
    await expect(subject.registry.deleteRunner(4242)).resolves.toBeUndefined();
    expect(subject.refused).toEqual([]);
  });
});

describe("deleteRunner with a deployment: what the REST client asks GitLab", () => {
  let subject: Subject;
  let requests: string[];
  beforeEach(async () => {
    subject = await overHttp();
    requests = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      requests.push(`${init?.method} ${new URL(String(input)).pathname}`);
      return realFetch(input, init);
    });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await subject.stop();
  });

  it("reads the runner, then deletes it: one GET more than without a deployment", async () => {
    const ours = subject.model.createRunner(runner("ci-autoscaler/linux-arm-0001"));

    await subject.registry.deleteRunner(ours.id);

    expect(requests).toEqual([
      `GET /api/v4/runners/${ours.id}`,
      `DELETE /api/v4/runners/${ours.id}`,
    ]);
  });

  it("reads a runner once for all its token resets, and a reset token is refused by GitLab's runner API", async () => {
    const ours = subject.model.createRunner(runner("ci-autoscaler/linux-arm-0001"));

    const first = await subject.registry.resetRunnerToken(ours.id);
    const second = await subject.registry.resetRunnerToken(ours.id);
    const asked = [...requests];
    // What gitlab-runner's start asks with the token it was handed (POST /runners/verify).
    const verify = async (token: string | undefined) =>
      (
        await fetch(`${subject.url}/api/v4/runners/verify`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ token }),
        })
      ).status;

    expect(asked).toEqual([
      `GET /api/v4/runners/${ours.id}`,
      `POST /api/v4/runners/${ours.id}/reset_authentication_token`,
      `POST /api/v4/runners/${ours.id}/reset_authentication_token`,
    ]);
    expect(await verify(ours.token)).toBe(403);
    expect(await verify(first)).toBe(403);
    expect(await verify(second)).toBe(200);
  });

  it("sends no DELETE for a runner it refuses or one already gone", async () => {
    const theirs = subject.model.createRunner(runner("build box in room 4"));

    await subject.registry.deleteRunner(theirs.id);
    await subject.registry.deleteRunner(4242);

    expect(requests).toEqual([`GET /api/v4/runners/${theirs.id}`, "GET /api/v4/runners/4242"]);
  });
});
