import { describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import {
  InMemoryCompute,
  InMemoryDemandStore,
  InMemoryGitlab,
  InMemoryRunnerStore,
  InMemoryTokenDrop,
  parseAutoscalerConfig,
  retireRunner,
  runnerDescription,
} from "../src/index";

const clock = { now: () => new Date("2026-11-22T10:00:00Z") };
const config = parseAutoscalerConfig(configInput());
const [pool] = config.pools;
const CAPS = { poolMaxInstances: 10, globalMaxInstances: 10 };

/** Retirement's edges with the deployment checked: the reaper's and the EC2-event function's. */
const edges = () => {
  const gitlab = new InMemoryGitlab({ clock, deployment: "ci-autoscaler" });
  const compute = new InMemoryCompute(clock);
  const runners = new InMemoryRunnerStore();
  const deps = {
    config,
    registry: gitlab,
    compute,
    runners,
    tokens: new InMemoryTokenDrop(),
    demand: new InMemoryDemandStore(),
    clock,
  };
  return { gitlab, compute, runners, deps };
};

/** A finished runner's record, as anyone able to write the table could insert it. */
const insertRecord = async (
  runners: InMemoryRunnerStore,
  name: string,
  ids: { gitlabRunnerId: number; instanceId: string },
) => {
  const at = clock.now().toISOString();
  await runners.reserve(
    { name, pool: pool!.name, state: "reserved", createdAt: at, updatedAt: at },
    CAPS,
  );
  return (await runners.transition(
    name,
    ["reserved"],
    { state: "finished", ...ids },
    clock.now(),
  ))!;
};

describe("retiring a runner whose record names resources of someone else", () => {
  it("neither terminates the instance nor deletes the GitLab runner, and still frees the slot", async () => {
    const { gitlab, compute, runners, deps } = edges();
    const theirs = gitlab.model.createRunner({
      runnerType: "instance_type",
      description: "team-runner-1",
      tagList: ["linux"],
      runUntagged: false,
      accessLevel: "not_protected",
    });
    const record = await insertRecord(runners, "linux-arm-0042", {
      gitlabRunnerId: theirs.id,
      instanceId: "i-0fffffffffffffff9",
    });

    expect(await retireRunner(deps, record)).toBe(true);

    expect(gitlab.runners.has(theirs.id)).toBe(true);
    expect(gitlab.refusedDeletes).toEqual([theirs.id]);
    expect(compute.refusedTerminations).toEqual(["i-0fffffffffffffff9"]);
    expect(await runners.get("linux-arm-0042")).toMatchObject({ state: "gone" });
  });

  it("does both for a runner of this deployment", async () => {
    const { gitlab, compute, runners, deps } = edges();
    const created = await gitlab.createRunner({
      runnerType: "instance_type",
      description: runnerDescription("ci-autoscaler", "linux-arm-0043"),
      tagList: ["linux"],
      runUntagged: false,
      maximumTimeout: 3600,
      accessLevel: "not_protected",
    });
    const launched = await compute.launch({
      launchId: "linux-arm-0043",
      count: 1,
      pool: pool!,
      waitTimeoutSeconds: 300,
    });
    const instanceId =
      launched.kind === "launched" ? (launched.instances[0]?.instanceId ?? "") : "";
    const record = await insertRecord(runners, "linux-arm-0043", {
      gitlabRunnerId: created.id,
      instanceId,
    });

    expect(await retireRunner(deps, record)).toBe(true);

    expect(gitlab.runners.has(created.id)).toBe(false);
    expect(compute.instances.get(instanceId)?.state).toBe("terminated");
    expect([...gitlab.refusedDeletes, ...compute.refusedTerminations]).toEqual([]);
  });
});
