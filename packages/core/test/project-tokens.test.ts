import type { WebhookCredentials, WebhookRequest } from "@ger/core/types";
import { afterEach, describe, expect, it, vi } from "vitest";
import { gitlabHeaders, jobHook } from "../../../test/support/gitlab";
import {
  authenticate,
  ConfigurationError,
  InMemoryDemandStore,
  InMemoryJobDurations,
  parseWebhookCredentials,
  projectHookToken,
  receiveJobWebhook,
  StaticWebhookCredentials,
  toWebhookResponse,
} from "../src/index";
import * as tokensMatchModule from "../src/webhook/tokens-match";

const MASTER = "project-tokens-master-0123456789";
const PREVIOUS_MASTER = "the-previous-master-secret-01234";
const GROUP_TOKEN = "platform-group-hook-token-0123456";
const perProject: WebhookCredentials = {
  token: MASTER,
  projectTokens: true,
  groupHookTokens: [{ name: "platform-group", token: GROUP_TOKEN }],
};

const now = new Date("2026-06-01T10:00:00Z");
const clock = { now: () => now };

const setup = (credentials: WebhookCredentials = perProject) => {
  const demand = new InMemoryDemandStore();
  const receive = (request: WebhookRequest) =>
    receiveJobWebhook(request, {
      demand,
      durations: new InMemoryJobDurations(),
      credentials: new StaticWebhookCredentials(credentials),
      clock,
    });
  return { demand, receive };
};

/** A Job Hook for `projectId`'s job `jobId`, sent with `token`. */
const hookFor = (projectId: number, token: string, jobId = 5001): WebhookRequest => ({
  headers: gitlabHeaders({ "x-gitlab-token": token }),
  body: JSON.stringify(jobHook({ build_id: jobId, project_id: projectId })),
});

const sentWith = (token: string, body: string): WebhookRequest => ({
  headers: gitlabHeaders({ "x-gitlab-token": token }),
  body,
});

describe("projectHookToken", () => {
  it("is HMAC-SHA256 of 'project:<id>' under the master, in lower-case hex", () => {
    // Pinned with `printf 'project:42' | openssl dgst -sha256 -hmac "$MASTER"`, as the docs say.
    expect(projectHookToken(MASTER, 42)).toBe(
      "13be628f3f45fd17ce5da9c9ded232e7a6771d2a84f0d60ada916cb23df017a4",
    );
  });

  it("differs from project to project and from master to master", () => {
    const tokens = [
      projectHookToken(MASTER, 7),
      projectHookToken(MASTER, 42),
      projectHookToken(PREVIOUS_MASTER, 7),
    ];

    expect(new Set(tokens).size).toBe(3);
  });
});

describe("per-project hook tokens", () => {
  it("records project 7's hook sent with project 7's token, and says which credential it was", async () => {
    const { demand, receive } = setup();

    const outcome = await receive(hookFor(7, projectHookToken(MASTER, 7)));

    expect(outcome).toMatchObject({
      kind: "recorded",
      event: { jobId: 5001, projectId: 7 },
      credential: "project:7",
    });
    expect(await demand.listJobs(now)).toMatchObject([{ jobId: 5001, projectId: 7 }]);
  });

  it("refuses project 7's token on a payload claiming project 42 with 401, storing nothing", async () => {
    const { demand, receive } = setup();

    const outcome = await receive(hookFor(42, projectHookToken(MASTER, 7)));

    expect(outcome).toEqual({ kind: "unauthorized", reason: "invalid_token" });
    expect(toWebhookResponse(outcome).statusCode).toBe(401);
    expect(await demand.listJobs(now)).toEqual([]);
    expect(await demand.listActiveProjects(new Date(0))).toEqual([]);
  });

  it("refuses the master token itself: it only derives the hooks' tokens", async () => {
    const { demand, receive } = setup();

    const outcome = await receive(hookFor(7, MASTER));

    expect(outcome).toEqual({ kind: "unauthorized", reason: "invalid_token" });
    expect(await demand.listJobs(now)).toEqual([]);
  });

  it("accepts a group hook's token for any project, named for the logs", async () => {
    const { demand, receive } = setup();

    const outcomes = [
      await receive(hookFor(7, GROUP_TOKEN, 5002)),
      await receive(hookFor(42, GROUP_TOKEN, 5003)),
    ];

    expect(outcomes.map((outcome) => [outcome.kind, outcome.credential])).toEqual([
      ["recorded", "group:platform-group"],
      ["recorded", "group:platform-group"],
    ]);
    expect((await demand.listJobs(now)).map((job) => job.projectId)).toEqual(
      expect.arrayContaining([7, 42]),
    );
  });

  it("names an unnamed group hook token by its place in the list", async () => {
    const { receive } = setup({
      ...perProject,
      groupHookTokens: [{ name: "platform-group", token: GROUP_TOKEN }, { token: "second-group" }],
    });

    const outcome = await receive(hookFor(7, "second-group"));

    expect(outcome).toMatchObject({ kind: "recorded", credential: "group:2" });
  });

  it("accepts the tokens derived from the previous master while hooks move to the new one", async () => {
    const { receive } = setup({ ...perProject, previousToken: PREVIOUS_MASTER });

    const moved = await receive(hookFor(7, projectHookToken(MASTER, 7), 5004));
    const notYet = await receive(hookFor(42, projectHookToken(PREVIOUS_MASTER, 42), 5005));
    const wrongProject = await receive(hookFor(42, projectHookToken(PREVIOUS_MASTER, 7), 5006));
    const previousMaster = await receive(hookFor(7, PREVIOUS_MASTER, 5007));

    expect(moved).toMatchObject({ kind: "recorded", credential: "project:7" });
    expect(notYet).toMatchObject({ kind: "recorded", credential: "project:42 (previous)" });
    expect([wrongProject.kind, previousMaster.kind]).toEqual(["unauthorized", "unauthorized"]);
  });

  it.each([
    ["not JSON", '{"project_id": 7,'],
    ["JSON without project_id", JSON.stringify(jobHook({ project_id: undefined }))],
    ["a project_id given as text", JSON.stringify(jobHook({ project_id: "7" }))],
    ["a fractional project_id", JSON.stringify(jobHook({ project_id: 7.5 }))],
    ["a project_id beyond 2^53", '{"object_kind":"build","project_id":9007199254740993}'],
    ["a JSON array", "[7]"],
  ])("refuses a project token on %s with 401, not 400, storing nothing", async (_, body) => {
    const { demand, receive } = setup();

    const outcome = await receive(sentWith(projectHookToken(MASTER, 7), body));

    expect(outcome).toEqual({ kind: "unauthorized", reason: "invalid_token" });
    expect(await demand.listJobs(now)).toEqual([]);
  });

  it.each([
    [400, "malformed JSON", '{"project_id": 7,', "malformed_json"],
    [
      422,
      "a Job Hook without project_id",
      JSON.stringify(jobHook({ project_id: undefined })),
      "invalid_job_hook",
    ],
  ])("answers %s to a group hook's %s, as before", async (statusCode, _, body, error) => {
    const { demand, receive } = setup();

    const response = toWebhookResponse(await receive(sentWith(GROUP_TOKEN, body)));

    expect(response).toMatchObject({ statusCode, body: { error } });
    expect(await demand.listJobs(now)).toEqual([]);
  });

  it("answers a project hook's other events, which name the project as project.id, with 200", async () => {
    const { demand, receive } = setup();
    const pipeline = { object_kind: "pipeline", project: { id: 7 }, object_attributes: { id: 1 } };

    const outcome = await receive({
      headers: gitlabHeaders({
        "x-gitlab-token": projectHookToken(MASTER, 7),
        "x-gitlab-event": "Pipeline Hook",
      }),
      body: JSON.stringify(pipeline),
    });

    expect(outcome).toMatchObject({ kind: "ignored", reason: "not_a_job_event" });
    expect(await demand.listJobs(now)).toEqual([]);
  });
});

describe("shared mode (a bare-token secret) is unchanged", () => {
  const shared = parseWebhookCredentials(MASTER);

  it("accepts the one token for every project and says it was the shared one", async () => {
    const { receive } = setup(shared);

    const outcomes = [
      await receive(hookFor(7, MASTER, 5010)),
      await receive(hookFor(42, MASTER, 5011)),
    ];

    expect(outcomes.map((outcome) => [outcome.kind, outcome.credential])).toEqual([
      ["recorded", "shared"],
      ["recorded", "shared"],
    ]);
  });

  it("does not accept tokens derived from it, and still answers a bad body 400", async () => {
    const { receive } = setup(shared);

    const derived = await receive(hookFor(7, projectHookToken(MASTER, 7)));
    const malformed = await receive(sentWith(MASTER, '{"project_id": 7,'));

    expect(derived).toEqual({ kind: "unauthorized", reason: "invalid_token" });
    expect(toWebhookResponse(malformed).statusCode).toBe(400);
  });
});

describe("comparing the accepted tokens", () => {
  afterEach(() => vi.restoreAllMocks());

  const rotating: WebhookCredentials = {
    ...perProject,
    previousToken: PREVIOUS_MASTER,
    groupHookTokens: [{ name: "platform-group", token: GROUP_TOKEN }, { token: "second-group" }],
  };
  const headersWith = (token: string) => gitlabHeaders({ "x-gitlab-token": token });

  it.each([
    ["the first candidate matches", projectHookToken(MASTER, 7), "project:7"],
    ["the last candidate matches", "second-group", "group:2"],
    ["none matches", "an-attacker-guess-000000000000", undefined],
  ])("compares every one when %s: no early exit tells which", (_, token, credential) => {
    const compare = vi.spyOn(tokensMatchModule, "tokensMatch");

    const result = authenticate(rotating, headersWith(token), "{}", 7);

    // project:7, project:7 (previous), group:platform-group, group:2
    expect(compare).toHaveBeenCalledTimes(4);
    expect(result.kind === "authenticated" ? result.credential : undefined).toBe(credential);
  });

  it("has no project token to compare when the payload names no project", () => {
    const compare = vi.spyOn(tokensMatchModule, "tokensMatch");

    const result = authenticate(
      rotating,
      headersWith(projectHookToken(MASTER, 7)),
      "[]",
      undefined,
    );

    expect(result).toEqual({ kind: "unauthorized", reason: "invalid_token" });
    expect(compare.mock.calls.map(([expected]) => expected)).toEqual([GROUP_TOKEN, "second-group"]);
  });
});

describe("reading project tokens from the secret", () => {
  it("reads projectTokens and named or unnamed group hook tokens", () => {
    const secret = {
      token: MASTER,
      projectTokens: true,
      groupHookTokens: [{ name: "platform-group", token: GROUP_TOKEN }, { token: "second-group" }],
      previousToken: PREVIOUS_MASTER,
    };

    expect(parseWebhookCredentials(JSON.stringify(secret))).toEqual(secret);
  });

  it.each([
    ["token", { token: "a-password-1", projectTokens: true }],
    ["previousToken", { token: MASTER, previousToken: "a-password-0", projectTokens: true }],
  ])(
    "refuses a short %s as master: one project's token would let it be guessed",
    (field, secret) => {
      const attempt = () => parseWebhookCredentials(JSON.stringify(secret));

      expect(attempt).toThrow(`${field}: ${field} must be at least 32 random characters`);
      expect(attempt).not.toThrow("a-password");
      expect(parseWebhookCredentials(JSON.stringify({ ...secret, projectTokens: false }))).toEqual({
        ...secret,
        projectTokens: false,
      });
    },
  );

  it.each([
    ["projectTokens as text", { token: MASTER, projectTokens: "yes" }, "projectTokens"],
    [
      "a bare token as a group hook entry",
      { token: MASTER, groupHookTokens: [GROUP_TOKEN] },
      "groupHookTokens.0",
    ],
    [
      "a group hook entry without its token",
      { token: MASTER, groupHookTokens: [{ name: "g" }] },
      "token",
    ],
    [
      "a group hook entry with an unknown field",
      { token: MASTER, groupHookTokens: [{ token: GROUP_TOKEN, secret: "x" }] },
      "secret",
    ],
    [
      "groupHookTokens not a list",
      { token: MASTER, groupHookTokens: GROUP_TOKEN },
      "must be a list",
    ],
  ])("explains %s without echoing a token", (_, secret, fragment) => {
    const attempt = () => parseWebhookCredentials(JSON.stringify(secret));

    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(fragment);
    expect(attempt).not.toThrow(GROUP_TOKEN);
    expect(attempt).not.toThrow(MASTER);
  });
});
