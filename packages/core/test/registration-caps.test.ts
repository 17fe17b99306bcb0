import { GitLabRestClient, InMemoryGitlab, parseAutoscalerConfig } from "@ger/core";
import { startGitlabDouble } from "@ger/local";
import { describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import { configInput } from "../../../test/support/config";
import { gitlabComPlanLimit } from "../src/pools/plan-limits";
import {
  PLAN_READ_INTERVAL_SECONDS,
  PLAN_RETRY_SECONDS,
  RegistrationCaps,
} from "../src/scaler/registration-caps";

/** The test config's group pool alone on `url`, its cap left unset or `limit`. */
const configOn = (url: string, limit?: number) => {
  const input = configInput();
  const [arm] = input.pools;
  return parseAutoscalerConfig({
    ...input,
    gitlab_url: url,
    pools: [
      {
        ...arm!,
        runner: { ...arm!.runner, ...(limit !== undefined && { registered_runner_limit: limit }) },
      },
    ],
  });
};

const worldOn = (url: string, limit?: number) => {
  let now = SUNDAY_MORNING;
  const clock = { now: () => now };
  const gitlab = new InMemoryGitlab({ clock });
  const config = configOn(url, limit);
  const deps = { config, registry: gitlab, clock };
  const pool = config.pools[0]!;
  const advance = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
  };
  return { gitlab, deps, pool, advance, now: () => now };
};

describe("registered-runner caps learned at run time", () => {
  it("maps gitlab.com's plans to their caps, and gives none for trials or unknown names", () => {
    expect(["free", "premium", "ultimate", "opensource"].map(gitlabComPlanLimit)).toEqual([
      50, 1000, 1000, 1000,
    ]);
    expect(["ultimate_trial", "default", "constructor", ""].map(gitlabComPlanLimit)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("on gitlab.com, holds a scope with no configured cap to its plan's, read once an hour", async () => {
    const world = worldOn("https://gitlab.com");
    world.gitlab.model.namespacePlans.set(42, "free");
    const caps = new RegistrationCaps();

    await caps.refresh(world.deps);
    await caps.refresh(world.deps);

    expect(caps.capOf(world.deps.config, world.pool, world.now())).toEqual({
      key: "group#42",
      limit: 50,
      source: "plan free",
    });
    expect(world.gitlab.calls.namespacePlan).toBe(1);

    world.gitlab.model.namespacePlans.set(42, "premium");
    world.advance(PLAN_READ_INTERVAL_SECONDS);
    await caps.refresh(world.deps);

    expect(caps.capOf(world.deps.config, world.pool, world.now())?.limit).toBe(1000);
    expect(world.gitlab.calls.namespacePlan).toBe(2);
  });

  it("lets the configured cap win, and reads no plan for it or off gitlab.com", async () => {
    for (const world of [worldOn("https://gitlab.com", 7), worldOn("https://gitlab.example.com")]) {
      world.gitlab.model.namespacePlans.set(42, "free");
      const caps = new RegistrationCaps();

      await caps.refresh(world.deps);

      expect(world.gitlab.calls.namespacePlan).toBe(0);
      expect(caps.capOf(world.deps.config, world.pool, world.now())?.limit).toEqual(
        world.deps.config.gitlab_url === "https://gitlab.com" ? 7 : undefined,
      );
    }
  });

  it("keeps no cap while the plan is hidden, and retries a failed read minutes later", async () => {
    const world = worldOn("https://gitlab.com");
    const caps = new RegistrationCaps();
    world.gitlab.failures.push(503);

    await caps.refresh(world.deps);
    world.gitlab.model.namespacePlans.set(42, "free");
    await caps.refresh(world.deps);

    expect(caps.capOf(world.deps.config, world.pool, world.now())).toBeUndefined();
    world.advance(PLAN_RETRY_SECONDS);
    await caps.refresh(world.deps);
    expect(caps.capOf(world.deps.config, world.pool, world.now())?.limit).toBe(50);
  });

  it("holds a scope to the cap GitLab's refusal named, for an hour, below the plan's", () => {
    const world = worldOn("https://gitlab.example.com");
    const caps = new RegistrationCaps();

    caps.learnRefusal("group#42", 20, world.now());

    expect(caps.capOf(world.deps.config, world.pool, world.now())).toEqual({
      key: "group#42",
      limit: 20,
      source: "refusal",
    });
    world.advance(3600);
    expect(caps.capOf(world.deps.config, world.pool, world.now())).toBeUndefined();
  });
});

describe("GitLabRestClient.namespacePlan against the GitLab double", () => {
  it("reads a group's plan, a project's through its namespace, and none where it is hidden", async () => {
    const double = await startGitlabDouble({ clock: { now: () => SUNDAY_MORNING } });
    try {
      const gitlab = new GitLabRestClient({
        baseUrl: double.url,
        token: async () => double.adminToken,
      });
      double.model.namespacePlans.set(42, "premium");
      double.model.projects.set(7, { groupId: 42 });

      expect(await gitlab.namespacePlan({ runnerType: "group_type", groupId: 42 })).toBe("premium");
      expect(await gitlab.namespacePlan({ runnerType: "project_type", projectId: 7 })).toBe(
        "premium",
      );
      expect(await gitlab.namespacePlan({ runnerType: "group_type", groupId: 43 })).toBeUndefined();
      expect(
        await gitlab.namespacePlan({ runnerType: "project_type", projectId: 8 }),
      ).toBeUndefined();
    } finally {
      await double.stop();
    }
  });
});
