import { GitlabModel } from "@ger/core";
import { describe, expect, it } from "vitest";
import { SeededRandom } from "../src/random";
import { RefusingBucket } from "../src/world/refusing-bucket";
import { TraceReplay } from "../src/world/trace-replay";
import { VirtualTime } from "../src/world/virtual-time";
import { RequestLimitExceeded, WorldCompute } from "../src/world/world-compute";
import { DEFAULT_WORLD } from "../src/world/world-settings";
import { simConfig, simPool } from "./support/sim-config";

const START = new Date("2099-11-24T10:00:00Z");

describe("VirtualTime", () => {
  it("runs actions by due time, ties in scheduling order, with the clock at each one's instant", async () => {
    const time = new VirtualTime(START);
    const seen: string[] = [];
    const note = (label: string) => () => {
      seen.push(`${label}@${(time.nowMillis - START.getTime()) / 1000}`);
    };
    time.after(5000, note("c"));
    time.after(1000, note("a"));
    time.after(1000, note("b"));
    time.after(1000, () => time.after(0, note("d")));
    await time.runUntil(START.getTime() + 4000);
    expect(seen).toEqual(["a@1", "b@1", "d@1"]);
    expect(time.now()).toEqual(new Date(START.getTime() + 4000));
    await time.runUntil(START.getTime() + 10_000);
    expect(seen).toEqual(["a@1", "b@1", "d@1", "c@5"]);
  });
});

describe("RefusingBucket", () => {
  it("gives its capacity at once, then refuses until refilled at its rate", () => {
    let now = 0;
    const bucket = new RefusingBucket(2, 0.5, () => now);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
    now = 1999;
    expect(bucket.tryTake()).toBe(false);
    now = 2000;
    expect(bucket.tryTake()).toBe(true);
  });
});

describe("WorldCompute", () => {
  const [pool] = simConfig([simPool({ max_instances: 100 })], 100).pools;
  if (!pool) throw new Error("no pool");
  const compute = (time: VirtualTime) =>
    new WorldCompute({
      time,
      random: new SeededRandom(1),
      settings: { ...DEFAULT_WORLD, ec2MutatingBucket: { capacity: 3, perSecond: 1 } },
      boot: () => {},
      onStateChange: () => {},
      hourlyPrice: () => 0.1,
    });

  it("answers RequestLimitExceeded past the mutating bucket, and launches again once it refills", async () => {
    const time = new VirtualTime(START);
    const ec2 = compute(time);
    const launch = (n: number) =>
      ec2.launch({ launchId: `r${n}`, count: 1, pool, waitTimeoutSeconds: 300 });
    for (const n of [1, 2, 3]) await launch(n);
    await expect(launch(4)).rejects.toBeInstanceOf(RequestLimitExceeded);
    await expect(launch(4)).rejects.toThrow("Request limit exceeded.");
    expect(ec2.calls).toMatchObject({ createFleet: 5, throttled: 2 });
    await time.runUntil(START.getTime() + 1000);
    expect((await launch(4)).kind).toBe("launched");
    expect(ec2.instances.size).toBe(4);
  });

  it("launches many instances for one mutating token, and the same ones again for a repeated launch id", async () => {
    const time = new VirtualTime(START);
    const ec2 = compute(time);
    const request = { launchId: "r1", count: 40, pool, waitTimeoutSeconds: 300 };
    const first = await ec2.launch(request);
    const again = await ec2.launch(request);
    expect(again).toEqual(first);
    expect(first.kind === "launched" && first.instances.length).toBe(40);
    expect(ec2.instances.size).toBe(40);
    expect(ec2.calls).toMatchObject({ createFleet: 2, throttled: 0 });
  });
});

describe("TraceReplay", () => {
  it("creates a pipeline's jobs at once and makes each stage pending when the earlier one has finished", async () => {
    const time = new VirtualTime(START);
    const model = new GitlabModel({ clock: time });
    const at = (seconds: number) => new Date(START.getTime() + seconds * 1000);
    const job = (jobId: number, stage: number) => ({
      jobId,
      projectId: 3,
      createdAt: at(10),
      durationS: 60,
      tags: [],
      pipelineId: 100,
      stage,
    });
    const replay = new TraceReplay(time, model, [job(3, 1), job(1, 0), job(2, 0), job(4, 2)]);
    replay.start();
    await time.runUntil(at(10).getTime());
    const statuses = () => [...model.jobs.values()].map((j) => `${j.stage}:${j.status}`);
    expect(statuses()).toEqual([
      "stage-0:pending",
      "stage-0:pending",
      "stage-1:created",
      "stage-2:created",
    ]);
    const runner = model.createRunner({
      runnerType: "instance_type",
      description: "test",
      tagList: [],
      runUntagged: true,
      accessLevel: "not_protected",
    });
    const take = () => model.requestJob(runner.id)?.id ?? Number.NaN;
    const first = take();
    const second = take();
    model.finishJob(first, "success");
    expect(statuses()).toContain("stage-1:created");
    model.finishJob(second, "failed");
    expect(statuses()).toEqual([
      "stage-0:success",
      "stage-0:failed",
      "stage-1:pending",
      "stage-2:created",
    ]);
    model.finishJob(take(), "success");
    expect(statuses()[3]).toBe("stage-2:pending");
    expect(replay.allArrived).toBe(true);
  });
});
