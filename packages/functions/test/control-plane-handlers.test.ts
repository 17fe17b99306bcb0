import { marshall } from "@aws-sdk/util-dynamodb";
import { LAUNCH_RETRY_SECONDS, runScalerPass } from "@ger/core";
import type { AttributeValue } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { scalerWorld } from "../../../test/support/scaler-world";
import { createObservability } from "../src/index";
import { toInstanceEvent } from "../src/instance-events/ec2-event";
import { createInstanceEventsHandler } from "../src/instance-events/handler";
import { createReaperHandler } from "../src/reaper/handler";
import { createScalerHandler } from "../src/scaler/handler";
import { captureEachTest, lambdaContext } from "./support";

/** EventBridge's events from EC2, as delivered to a rule's target. */
const stateChange = (instanceId: string, state: string) => ({
  version: "0",
  id: "7bf73129-1428-4cd3-a780-95db273d1602",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "123456789012",
  time: "2026-11-23T12:00:00Z",
  region: "eu-central-1",
  resources: [`arn:aws:ec2:eu-central-1:123456789012:instance/${instanceId}`],
  detail: { "instance-id": instanceId, state },
});
const spotWarning = (instanceId: string) => ({
  ...stateChange(instanceId, "running"),
  "detail-type": "EC2 Spot Instance Interruption Warning",
  detail: { "instance-id": instanceId, "instance-action": "terminate" },
});

const output = captureEachTest();
const { emitted } = output;

describe("toInstanceEvent", () => {
  it("reads EC2's state-change and spot-warning events and nothing else", () => {
    expect(toInstanceEvent(stateChange("i-0a", "shutting-down"))).toEqual({
      kind: "state_change",
      instanceId: "i-0a",
      state: "shutting-down",
    });
    expect(toInstanceEvent(spotWarning("i-0b"))).toEqual({
      kind: "spot_interruption",
      instanceId: "i-0b",
    });
    expect(
      toInstanceEvent({ source: "aws.s3", "detail-type": "Object Created", detail: {} }),
    ).toBeUndefined();
    expect(toInstanceEvent("nonsense")).toBeUndefined();
  });
});

describe("instance-events handler", () => {
  it("retires the runner of a terminated instance and counts the event", async () => {
    const world = scalerWorld();
    await world.addPendingJob(51, ["linux"]);
    await runScalerPass(world.deps);
    const [runner] = await world.runners.listLive();
    const handler = createInstanceEventsHandler(world.deps, createObservability("instance-events"));

    const result = await handler(stateChange(runner!.instanceId!, "terminated"), lambdaContext());

    expect(result).toEqual({ outcome: "retired" });
    expect(await world.runners.listLive()).toEqual([]);
    expect(emitted("InstanceEvents")[0]).toMatchObject({
      Kind: "state_change",
      Outcome: "retired",
      InstanceEvents: 1,
    });
  });

  it("answers an unrelated event without failing it (EventBridge would retry)", async () => {
    const world = scalerWorld();
    const handler = createInstanceEventsHandler(world.deps, createObservability("instance-events"));

    expect(await handler({ source: "aws.health" }, lambdaContext())).toEqual({
      outcome: "unrecognised",
    });
  });
});

describe("reaper handler", () => {
  it("runs a pass, logs what it did and counts retirements by reason", async () => {
    const world = scalerWorld();
    await world.addPendingJob(52, ["linux"]);
    await runScalerPass(world.deps);
    const [runner] = await world.runners.listLive();
    await world.demand.recordJobEvent(
      { jobId: 52, projectId: 5, status: "success" },
      world.clock.now(),
    );
    await world.runners.transition(
      runner!.name,
      ["booting"],
      { state: "finished" },
      world.clock.now(),
    );
    const handler = createReaperHandler(world.reaperDeps, createObservability("reaper"));

    const report = await handler({ source: "aws.scheduler" }, lambdaContext());

    expect(report.reap).toMatchObject({ skipped: false, retired: { finished: 1 } });
    expect(report.reconcile).toMatchObject({ webhookSuspect: false });
    expect(output.lines().join("")).toContain('"message":"reaper pass"');
    expect(emitted("RunnersRetired")[0]).toMatchObject({ Reason: "finished", RunnersRetired: 1 });
  });
});

describe("scaler handler", () => {
  it("emits how long a job waited for one of our runners, per pool, from the stream record", async () => {
    const world = scalerWorld();
    await world.addPendingJob(53, ["linux"]);
    await runScalerPass(world.deps);
    const [runner] = await world.runners.listLive();
    const running = {
      kind: "job",
      jobId: 53,
      projectId: 5,
      status: "running",
      runnerId: runner!.gitlabRunnerId!,
      createdAt: "2026-11-22T09:59:00.000Z",
      startedAt: "2026-11-22T09:59:42.500Z",
    };
    const handler = createScalerHandler(
      { ...world.deps, newRunnerName: () => "linux-arm-next" },
      createObservability("scaler"),
    );

    await handler(
      {
        Records: [
          {
            eventName: "MODIFY",
            // The stream's image is DynamoDB JSON, as marshall writes it (no binary values here).
            dynamodb: { NewImage: marshall(running) as Record<string, AttributeValue> },
          },
        ],
      },
      lambdaContext(),
    );

    expect(await world.runners.get(runner!.name)).toMatchObject({ state: "busy", jobId: 53 });
    expect(emitted("JobWaitTime")[0]).toMatchObject({ Pool: "linux-arm", JobWaitTime: 42.5 });
  });
});

describe("the scheduled scaler invocation", () => {
  const sleeping = (world: ReturnType<typeof scalerWorld>) => {
    const sleeps: number[] = [];
    const sleep = async (seconds: number) => {
      sleeps.push(seconds);
      world.advance(seconds);
    };
    return { sleeps, sleep };
  };

  it("tries a launch GitLab refused again after its backoff, within the same invocation", async () => {
    const world = scalerWorld();
    await world.addPendingJob(54, ["linux"]);
    await world.demand.annotateJob(54, { tags: ["linux"], groupIds: [42] });
    world.gitlab.failures.push(503);
    const { sleeps, sleep } = sleeping(world);
    const handler = createScalerHandler(world.deps, createObservability("scaler"), sleep);

    await handler({ source: "aws.scheduler" }, lambdaContext(60_000));

    expect(sleeps).toEqual([LAUNCH_RETRY_SECONDS]);
    expect((await world.runners.listLive()).map((runner) => runner.state)).toEqual(["booting"]);
  });

  it("does not wait when invoked by the stream, nor when too little time is left", async () => {
    const world = scalerWorld();
    await world.addPendingJob(55, ["linux"]);
    await world.demand.annotateJob(55, { tags: ["linux"], groupIds: [42] });
    const { sleeps, sleep } = sleeping(world);
    const handler = createScalerHandler(world.deps, createObservability("scaler"), sleep);

    world.gitlab.failures.push(503);
    const streamed = await handler({ Records: [] }, lambdaContext(60_000));
    world.advance(LAUNCH_RETRY_SECONDS);
    // The resumed launch and the one started beside it for its stalled job.
    world.gitlab.failures.push(503, 503);
    const late = await handler({ source: "aws.scheduler" }, lambdaContext(12_000));

    expect(sleeps).toEqual([]);
    expect(streamed).toEqual({ launched: 0 });
    expect(late).toEqual({ launched: 0 });
  });
});
