import { loadConfigFile } from "@ger/core";
import { freePort, type LocalStack, loadLocalSettings, startLocalStack } from "@ger/local";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runningClock } from "../../../test/support/clock";
import { connectDeployment } from "../src/connect/connect-deployment";
import { type DeploymentTarget, resolveDeploymentTarget } from "../src/deployment-target";
import { doctorContextFor } from "../src/doctor/doctor-context";
import { runDoctor } from "../src/doctor/run-doctor";

const CONFIG = "test/support/e2e.config.json";
const clock = runningClock();
let stack: LocalStack;
let target: DeploymentTarget;
beforeAll(async () => {
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
  const port = String(await freePort());
  stack = await startLocalStack(
    loadLocalSettings({ PORT: port, TABLE_NAME: "doctor-local", AUTOSCALER_CONFIG: CONFIG }),
    { clock },
  );
  target = await resolveDeploymentTarget({}, await loadConfigFile(CONFIG), { PORT: port });
});
afterAll(async () => {
  target?.close();
  await stack?.stop();
});

describe("doctor and connect against the local stack (npm start)", () => {
  it("connects a project (the double's own hook: updated), then finds everything green", async () => {
    const connected = await connectDeployment(target, { kind: "project", id: 1 }, false);

    const report = await runDoctor(doctorContextFor(target, clock));

    expect(connected.message).toMatch(
      /^updated hook 1 on project 1: http:\/\/127\.0\.0\.1:\d+\/webhook, job events only/,
    );
    expect(report.checks.filter((check) => check.status !== "pass")).toEqual([]);
    expect(report.checks.map((check) => check.id)).toEqual(
      expect.arrayContaining(["gitlab.runners.instance", "gitlab.hook.project-1", "aws.webhook"]),
    );
    expect(stack.edges.double?.model.listRunners({})).toEqual([]);
  });

  it("removes the hook, which doctor then misses, and creates it again", async () => {
    const removed = await connectDeployment(target, { kind: "project", id: 2 }, true);
    const missing = await runDoctor(doctorContextFor(target, clock));
    const created = await connectDeployment(target, { kind: "project", id: 2 }, false);
    const again = await connectDeployment(target, { kind: "project", id: 2 }, false);

    expect(removed.message).toBe("removed hook 1 from project 2");
    // Removed, project 2 is no longer among the connected: nothing to miss.
    expect(missing.checks.find((check) => check.id === "gitlab.hook.project-2")).toBeUndefined();
    expect(created.message).toMatch(/^created hook \d+ on project 2/);
    expect(again.message).toMatch(/^updated hook \d+ on project 2/);
    expect(
      (await runDoctor(doctorContextFor(target, clock))).checks.find(
        (check) => check.id === "gitlab.hook.project-2",
      )?.status,
    ).toBe("pass");
  });
});
