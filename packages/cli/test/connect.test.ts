import { InMemoryConnectedHooks, parseWebhookCredentials, projectHookToken } from "@ger/core";
import { afterEach, describe, expect, it } from "vitest";
import { connectHook, disconnectHook } from "../src/connect/connect-hook";
import { hookTokenFor } from "../src/connect/hook-token";
import { WEBHOOK_URL } from "./support/doctor-account";
import { type DoctorWorld, startDoctorWorld } from "./support/doctor-world";

let world: DoctorWorld | undefined;
afterEach(async () => {
  await world?.double.stop();
  world = undefined;
});

const PROJECT = { kind: "project", id: 7 } as const;
const GROUP = { kind: "group", id: 42 } as const;

const start = async () => {
  world = await startDoctorWorld();
  const { setup } = world.context.gitlab(world.double.adminToken);
  return {
    ...world,
    setup,
    connectContext: { setup, connected: world.connected, webhookUrl: WEBHOOK_URL },
  };
};

describe("connect", () => {
  it("creates a job-events-only hook with SSL verification and the token, and records it", async () => {
    const { double, setup, connected, connectContext } = await start();

    const outcome = await connectHook(connectContext, PROJECT, "token-1");

    expect(outcome).toEqual({
      kind: "connected",
      action: "created",
      hookId: expect.any(Number),
      duplicatesRemoved: [],
    });
    expect(await setup.listHooks(PROJECT)).toEqual([
      expect.objectContaining({
        url: WEBHOOK_URL,
        jobEvents: true,
        otherEvents: [],
        enableSslVerification: true,
        alertStatus: "executable",
      }),
    ]);
    expect(outcome.kind === "connected" && double.model.hookToken(PROJECT, outcome.hookId)).toBe(
      "token-1",
    );
    expect(await connected.list()).toEqual([PROJECT]);
  });

  it("gives the same single hook when run again, with the new token, and removes duplicates", async () => {
    const { double, setup, connectContext } = await start();
    const first = await connectHook(connectContext, GROUP, "token-1");
    await setup.createHook(GROUP, { url: WEBHOOK_URL, token: "stray" });
    await setup.createHook(GROUP, { url: "https://elsewhere.example.org/hook", token: "theirs" });

    const again = await connectHook(connectContext, GROUP, "token-2");

    const hooks = (await setup.listHooks(GROUP)) ?? [];
    expect(hooks.filter((hook) => hook.url === WEBHOOK_URL).map((hook) => hook.id)).toEqual([
      first.kind === "connected" ? first.hookId : -1,
    ]);
    expect(hooks).toHaveLength(2);
    expect(again).toMatchObject({ action: "updated", duplicatesRemoved: [expect.any(Number)] });
    expect(again.kind === "connected" && double.model.hookToken(GROUP, again.hookId)).toBe(
      "token-2",
    );
  });

  it("turns off the events an existing hook to the URL had besides job events", async () => {
    const { setup, connectContext } = await start();
    const hook = await setup.createHook(PROJECT, { url: WEBHOOK_URL, token: "t" });
    world?.double.model.updateHook(PROJECT, hook.id, { events: { push_events: true } });
    expect((await setup.listHooks(PROJECT))?.[0]?.otherEvents).toEqual(["push_events"]);

    await connectHook(connectContext, PROJECT, "t");

    expect((await setup.listHooks(PROJECT))?.[0]).toMatchObject({
      jobEvents: true,
      otherEvents: [],
    });
  });

  it("removes only its own hooks with --remove, and forgets the owner", async () => {
    const { setup, connected, connectContext } = await start();
    await connectHook(connectContext, PROJECT, "t");
    await setup.createHook(PROJECT, { url: "https://elsewhere.example.org/hook", token: "theirs" });

    const removed = await disconnectHook(connectContext, PROJECT);
    const again = await disconnectHook(connectContext, PROJECT);

    expect(removed).toEqual({ kind: "removed", hookIds: [expect.any(Number)] });
    expect(again).toEqual({ kind: "removed", hookIds: [] });
    expect((await setup.listHooks(PROJECT))?.map((hook) => hook.url)).toEqual([
      "https://elsewhere.example.org/hook",
    ]);
    expect(await connected.list()).toEqual([]);
  });

  it("changes nothing, and says why, when the token may not write hooks", async () => {
    world = await startDoctorWorld({
      double: { tokens: [{ token: "glpat-read", name: "ci", scopes: ["read_api"] }] },
    });
    const { setup } = world.context.gitlab("glpat-read");
    const connected = new InMemoryConnectedHooks();

    await expect(
      connectHook({ setup, connected, webhookUrl: WEBHOOK_URL }, PROJECT, "t"),
    ).rejects.toThrow("insufficient_scope");
    expect(await setup.listHooks(PROJECT)).toEqual([]);
    expect(await connected.list()).toEqual([]);
  });
});

describe("the token connect writes into a hook", () => {
  const master = "m".repeat(32);

  it("is the shared token, or with project tokens the project's own", () => {
    expect(hookTokenFor(parseWebhookCredentials("shared-token"), PROJECT, "secret")).toMatchObject({
      token: "shared-token",
      credential: "shared",
    });
    expect(
      hookTokenFor(
        parseWebhookCredentials(JSON.stringify({ token: master, projectTokens: true })),
        PROJECT,
        "secret",
      ),
    ).toMatchObject({ token: projectHookToken(master, 7), credential: "project:7" });
  });

  it("is a group's listed token, and without one connect says how to add it", () => {
    const listed = parseWebhookCredentials(
      JSON.stringify({
        token: master,
        projectTokens: true,
        groupHookTokens: [{ name: "group-42", token: "g".repeat(32) }],
      }),
    );
    const unlisted = parseWebhookCredentials(
      JSON.stringify({ token: master, projectTokens: true }),
    );

    expect(hookTokenFor(listed, GROUP, "secret")).toMatchObject({
      token: "g".repeat(32),
      credential: "group:group-42",
    });
    expect(hookTokenFor(unlisted, GROUP, "WebhookSecret-abc")).toMatchObject({
      kind: "missing",
      fix: expect.stringContaining('.groupHookTokens += [{name: "group-42"'),
    });
  });
});
