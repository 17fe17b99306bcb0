import type { AutoscalerConfigInput } from "@ger/core/types";
import { afterEach, describe, expect, it } from "vitest";
import { connectHook } from "../src/connect/connect-hook";
import { runDoctor } from "../src/doctor/run-doctor";
import { WEBHOOK_URL } from "./support/doctor-account";
import { type DoctorWorld, startDoctorWorld, WEBHOOK_SECRET } from "./support/doctor-world";

type PoolInput = AutoscalerConfigInput["pools"][number];

let world: DoctorWorld | undefined;
afterEach(async () => {
  await world?.double.stop();
  world = undefined;
});

const start = async (options: Parameters<typeof startDoctorWorld>[0] = {}) => {
  world = await startDoctorWorld(options);
  return world;
};

/** Connects project 7 as `connect` does, with the shared token. */
const connectProject = async ({ double, context, connected }: DoctorWorld) => {
  const { setup } = context.gitlab(double.adminToken);
  await connectHook(
    { setup, connected, webhookUrl: WEBHOOK_URL },
    { kind: "project", id: 7 },
    WEBHOOK_SECRET,
  );
};

/** A config change that applies `change` to the group pools alone. */
const withGroupPools =
  (change: (pool: PoolInput) => PoolInput) =>
  (input: AutoscalerConfigInput): AutoscalerConfigInput => ({
    ...input,
    pools: input.pools.map((pool) =>
      pool.runner.runner_type === "group_type" ? change(pool) : pool,
    ),
  });

const doctor = async (current: DoctorWorld) => {
  const report = await runDoctor(current.context);
  return { report, byId: (id: string) => report.checks.find((check) => check.id === id) };
};

describe("doctor against GitLab", () => {
  it("is all green where everything fits, and leaves no runner behind", async () => {
    const current = await start();
    await connectProject(current);

    const { report } = await doctor(current);

    expect(report.checks.filter((check) => check.status !== "pass")).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => check.id)).toEqual(
      expect.arrayContaining([
        "gitlab.reachable",
        "gitlab.version",
        "gitlab.token.scopes",
        "gitlab.token.expiry",
        "gitlab.runners.group-42",
        "gitlab.runners.project-7",
        "gitlab.hook.project-7",
      ]),
    );
    expect(current.double.model.listRunners({})).toEqual([]);
    expect(current.double.apiCalls.get("POST ^\\/api\\/v4\\/user\\/runners$")).toBe(2);
  });

  it("names the missing create_runner scope, and the fix, for a token without it", async () => {
    const current = await start({
      double: {
        tokens: [{ token: "glpat-no-create", name: "ci", scopes: ["read_api", "manage_runner"] }],
      },
      gitlabToken: "glpat-no-create",
    });

    const { report, byId } = await doctor(current);

    expect(report.ok).toBe(false);
    expect(byId("gitlab.token.scopes")).toMatchObject({
      status: "fail",
      saw: expect.stringContaining("missing create_runner (creating each job's runner)"),
      fix: expect.stringContaining(
        "aws secretsmanager put-secret-value --secret-id GitlabToken-abc",
      ),
    });
    expect(byId("gitlab.runners.group-42")).toMatchObject({
      status: "fail",
      saw: expect.stringContaining("insufficient_scope"),
      fix: expect.stringContaining("give the token the create_runner scope"),
    });
    expect(current.double.model.listRunners({})).toEqual([]);
  });

  it("says which role is missing when the token's user may not create runners in a scope", async () => {
    const current = await start({
      double: {
        tokens: [
          {
            token: "glpat-developer",
            name: "ci",
            scopes: ["api"],
            deniedRunnerScopes: [{ runnerType: "group_type", groupId: 42 }],
          },
        ],
      },
      gitlabToken: "glpat-developer",
    });

    const { byId } = await doctor(current);

    expect(byId("gitlab.runners.group-42")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("the Owner role in group 42"),
    });
    expect(byId("gitlab.runners.project-7")?.status).toBe("pass");
  });

  it("refuses GitLab before 16.0 and warns below 17.1, saying what changes", async () => {
    const old = await start({ double: { version: "15.11.3-ee" } });
    const oldReport = await doctor(old);
    await old.double.stop();
    const older = await start({ double: { version: "16.11.0" } });
    const olderReport = await doctor(older);

    expect(oldReport.byId("gitlab.version")).toMatchObject({
      status: "fail",
      saw: expect.stringContaining("runner creation with glrt- tokens"),
    });
    expect(olderReport.byId("gitlab.version")).toMatchObject({
      status: "warn",
      saw: expect.stringContaining("the manage_runner token scope (17.1"),
    });
  });

  it("warns of a token about to expire, and refuses one that has", async () => {
    const soon = await start({
      double: {
        tokens: [{ token: "glpat-soon", name: "ci", scopes: ["api"], expiresAt: "2099-03-10" }],
      },
      gitlabToken: "glpat-soon",
    });
    const soonReport = await doctor(soon);
    await soon.double.stop();
    const expired = await start({
      double: {
        tokens: [{ token: "glpat-old", name: "ci", scopes: ["api"], expiresAt: "2099-03-01" }],
      },
      gitlabToken: "glpat-old",
    });
    const expiredReport = await doctor(expired);

    expect(soonReport.byId("gitlab.token.expiry")).toMatchObject({
      status: "warn",
      saw: 'token "ci" expires on 2099-03-10 at 00:00 UTC (in 5 days)',
    });
    expect(expiredReport.report.checks.filter((check) => check.area === "gitlab")).toEqual([
      expect.objectContaining({
        id: "gitlab.reachable",
        status: "fail",
        saw: expect.stringContaining("refused the token (401)"),
      }),
    ]);
  });

  it("fails a connected hook that is missing or that GitLab disabled, and warns when none is connected", async () => {
    const none = await start();
    const noneReport = await doctor(none);
    await connectProject(none);
    none.double.model.hooks.set(7, []);
    const missing = await doctor(none);
    await connectProject(none);
    const [hook] = none.double.model.hooks.get(7) ?? [];
    none.double.model.hooks.set(7, [{ ...hook, url: WEBHOOK_URL, alertStatus: "disabled" }]);
    const disabled = await doctor(none);

    expect(noneReport.byId("gitlab.hooks")).toMatchObject({
      status: "warn",
      fix: "npm run cli -- connect --stage prod --project <id> (or --group <id>)",
    });
    expect(missing.byId("gitlab.hook.project-7")).toMatchObject({
      status: "fail",
      fix: "npm run cli -- connect --stage prod --project 7",
    });
    expect(disabled.byId("gitlab.hook.project-7")).toMatchObject({
      status: "fail",
      saw: expect.stringContaining("GitLab disabled hook"),
    });
  });

  it("warns when a scope's registered-runner cap holds the pools below their max_instances", async () => {
    const current = await start({
      config: withGroupPools((pool) => ({
        ...pool,
        runner: { ...pool.runner, registered_runner_limit: 4 },
      })),
    });
    current.double.model.createRunner({
      description: "someone else's",
      runnerType: "group_type",
      groupId: 42,
      tagList: ["linux"],
      runUntagged: false,
      accessLevel: "not_protected",
    });

    const { byId } = await doctor(current);

    expect(byId("gitlab.registrations.group-42")).toMatchObject({
      status: "warn",
      saw: "registered_runner_limit 4 holds the pools (up to 10 runners) to 4 at once; 1 registered there now: jobs beyond it wait",
    });
    expect(byId("gitlab.registrations.project-7")).toMatchObject({
      status: "pass",
      saw: "no registered_runner_limit set: the pools may register up to 2; 0 registered there now",
    });
  });

  it("on gitlab.com, reads each scope's plan and weighs the pools against the plan's cap", async () => {
    const current = await start({
      config: (input) => ({ ...input, gitlab_url: "https://gitlab.com" }),
    });
    current.double.model.namespacePlans.set(42, "free");

    const { byId } = await doctor(current);

    expect(byId("gitlab.registrations.group-42")).toMatchObject({
      status: "pass",
      saw: "gitlab.com's free plan 50; the pools may register up to 10; 0 registered there now",
    });
    expect(byId("gitlab.registrations.project-7")).toMatchObject({
      status: "warn",
      saw: expect.stringContaining("the token cannot read project 7's plan"),
    });
  });

  it("on gitlab.com, warns when the plan's cap holds the pools below their max_instances", async () => {
    const current = await start({
      config: (input) => ({
        ...withGroupPools((pool) => ({ ...pool, max_instances: 80 }))(input),
        gitlab_url: "https://gitlab.com",
      }),
    });
    current.double.model.namespacePlans.set(42, "free");

    const { byId } = await doctor(current);

    expect(byId("gitlab.registrations.group-42")).toMatchObject({
      status: "warn",
      saw: "gitlab.com's free plan 50 holds the pools (up to 80 runners) to 50 at once; 0 registered there now: jobs beyond it wait",
      fix: expect.stringContaining("upgrade the plan"),
    });
  });

  it("does not check GitLab when the token secret is still empty, and says how to set it", async () => {
    const current = await start({
      account: (model) => ({ ...model, secrets: { ...model.secrets, "GitlabToken-abc": null } }),
    });

    const { byId } = await doctor(current);

    expect(byId("gitlab.skipped")).toMatchObject({
      status: "fail",
      fix: "aws secretsmanager put-secret-value --secret-id GitlabToken-abc --secret-string 'glpat-…'",
    });
    expect(current.double.apiCalls.size).toBe(0);
  });
});
