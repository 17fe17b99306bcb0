import {
  DeleteParameterCommand,
  GetParameterCommand,
  PutParameterCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { SsmTokenDrop } from "@ger/core";
import { afterEach, describe, expect, it } from "vitest";
import { parameterStore } from "../../../test/support/parameter-store";
import { ParameterStoreTokenDrop, ThrottlingException } from "../src/world/parameter-store";
import { VirtualTime } from "../src/world/virtual-time";

const START = new Date("2099-11-24T10:00:00.000Z");
const PREFIX = "/gitlab-runner-autoscaler/sim/runners";
const INSTANCE = "i-0bbbbbbbbbbbbbbbb";
const ROOMY = {
  getPut: { capacity: 1_000, perSecond: 1_000 },
  delete: { capacity: 1_000, perSecond: 1_000 },
};

describe("the simulated Parameter Store", () => {
  let restore = () => {};
  afterEach(() => restore());

  it("charges a token's hand-off call for call as the SSM adapter and the user-data make it", async () => {
    const store = parameterStore();
    restore = store.restore;
    const ssm = new SsmTokenDrop(new SSMClient({ region: "eu-central-1" }), {
      parameterPrefix: PREFIX,
      instanceArnPrefix: "arn:aws:ec2:eu-central-1:123456789012:instance/",
    });
    const model = new ParameterStoreTokenDrop(new VirtualTime(START), ROOMY);
    const client = new SSMClient({ region: "eu-central-1" });
    // Put, grant (and a resumed launch's grant again), the instance's read and delete, the
    // retirement's removal: one runner's whole life.
    for (const drop of [ssm, model]) {
      await drop.put("pool-0001", "glrt-one");
      await drop.grant("pool-0001", INSTANCE);
      await drop.grant("pool-0001", INSTANCE);
    }
    const name = ssm.instanceParameterName(INSTANCE);
    await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    await client.send(new DeleteParameterCommand({ Name: name }));
    const taken = model.take(INSTANCE);
    await ssm.remove("pool-0001", INSTANCE);
    await model.remove("pool-0001", INSTANCE);

    expect(taken).toBe("glrt-one");
    expect(model.calls).toEqual({
      GetParameter: store.ssm.commandCalls(GetParameterCommand).length,
      PutParameter: store.ssm.commandCalls(PutParameterCommand).length,
      DeleteParameter: store.ssm.commandCalls(DeleteParameterCommand).length,
    });
    expect(model.totalCalls).toBe(9);
    expect([model.stored, store.parameters.size]).toEqual([0, 0]);
  });

  it("refuses calls past its throughput with ThrottlingException, and serves them again as it refills", async () => {
    const time = new VirtualTime(START);
    const model = new ParameterStoreTokenDrop(time, {
      getPut: { capacity: 2, perSecond: 2 },
      delete: { capacity: 1, perSecond: 1 },
    });
    await model.put("pool-0001", "glrt-one");
    await model.put("pool-0002", "glrt-two");

    const third = model.put("pool-0003", "glrt-three");
    const removed = model.remove("pool-0001");
    const again = model.remove("pool-0002");
    await expect(third).rejects.toBeInstanceOf(ThrottlingException);
    await expect(removed).resolves.toBeUndefined();
    await expect(again).rejects.toThrow("Rate exceeded (DeleteParameter)");
    await time.runUntil(START.getTime() + 1_000);

    await expect(model.put("pool-0003", "glrt-three")).resolves.toBeUndefined();
    expect(model.throttled).toBe(2);
    // A refused put stored nothing; a refused removal removed nothing.
    expect(model.stored).toBe(2);
  });

  it("lets an instance whose delete was refused keep its token, and leaves the parameter to the retirement", async () => {
    const model = new ParameterStoreTokenDrop(new VirtualTime(START), {
      getPut: { capacity: 10, perSecond: 10 },
      delete: { capacity: 1, perSecond: 1 },
    });
    await model.put("pool-0001", "glrt-one");
    await model.grant("pool-0001", INSTANCE);

    const token = model.take(INSTANCE);

    expect(token).toBe("glrt-one");
    expect(model.stored).toBe(1);
  });
});
