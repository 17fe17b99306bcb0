import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { SsmTokenDrop } from "../src/index";

const ssm = mockClient(SSMClient);
const drop = new SsmTokenDrop(new SSMClient({ region: "eu-central-1" }), {
  parameterPrefix: "/gitlab-runner-autoscaler/ci-autoscaler/runners",
  instanceArnPrefix: "arn:aws:ec2:eu-central-1:123456789012:instance/",
});
const RUNNER_NAMED = "/gitlab-runner-autoscaler/ci-autoscaler/runners/linux-arm-a1b2c3";
const INSTANCE_NAMED =
  "/gitlab-runner-autoscaler/ci-autoscaler/runners/instance/i-0123456789abcdef0";
const DESCRIPTION = "glrt- token of one ephemeral GitLab runner; deleted when the runner is";
const ok = { $metadata: { httpStatusCode: 200 } };
const notFound = new ParameterNotFound({
  message: "Parameter not found",
  $metadata: { httpStatusCode: 400 },
});

/** Every SSM call in order, as command name and input. */
const sent = () =>
  ssm.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: object };
    return [command.constructor.name, command.input];
  });

const waitingToken = () =>
  ssm.on(GetParameterCommand).resolves({
    Parameter: { Name: RUNNER_NAMED, Type: "SecureString", Value: "glrt-secret", Version: 1 },
    ...ok,
  });

describe("SsmTokenDrop", () => {
  beforeEach(() => ssm.reset());

  it("encrypts both copies with the customer's key when the config names one", async () => {
    const keyArn = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const keyed = new SsmTokenDrop(new SSMClient({ region: "eu-central-1" }), {
      parameterPrefix: "/gitlab-runner-autoscaler/ci-autoscaler/runners",
      instanceArnPrefix: "arn:aws:ec2:eu-central-1:123456789012:instance/",
      kmsKeyId: keyArn,
    });
    ssm.on(PutParameterCommand).resolves({ Version: 1, Tier: "Standard", ...ok });
    ssm.on(DeleteParameterCommand).resolves(ok);

    await keyed.put("linux-arm-a1b2c3", "glrt-secret");
    await keyed.grant("linux-arm-a1b2c3", "i-0123456789abcdef0", "glrt-secret");

    const puts = ssm.commandCalls(PutParameterCommand).map((call) => call.args[0].input);
    expect(puts.map(({ Name, KeyId }) => ({ Name, KeyId }))).toEqual([
      { Name: RUNNER_NAMED, KeyId: keyArn },
      { Name: INSTANCE_NAMED, KeyId: keyArn },
    ]);
  });

  it("stores the token as a SecureString under the runner's name, untagged, overwriting a retry's", async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 1, Tier: "Standard", ...ok });

    await drop.put("linux-arm-a1b2c3", "glrt-secret");

    expect(sent()).toEqual([
      [
        "PutParameterCommand",
        {
          Name: RUNNER_NAMED,
          Value: "glrt-secret",
          Type: "SecureString",
          Tier: "Standard",
          Overwrite: true,
          Description: DESCRIPTION,
        },
      ],
    ]);
  });

  it("grants by moving the token under the instance's id, tagged with its ARN from creation", async () => {
    waitingToken();
    ssm.on(PutParameterCommand).resolves({ Version: 1, Tier: "Standard", ...ok });
    ssm.on(DeleteParameterCommand).resolves(ok);

    expect(await drop.grant("linux-arm-a1b2c3", "i-0123456789abcdef0")).toBe("granted");

    expect(sent()).toEqual([
      ["GetParameterCommand", { Name: RUNNER_NAMED, WithDecryption: true }],
      [
        "PutParameterCommand",
        {
          // No Overwrite: SSM refuses Tags with it, and the tag must be there from the start.
          Name: INSTANCE_NAMED,
          Value: "glrt-secret",
          Type: "SecureString",
          Tier: "Standard",
          Description: DESCRIPTION,
          Tags: [
            {
              Key: "gitlab-runner-autoscaler:reader",
              Value: "arn:aws:ec2:eu-central-1:123456789012:instance/i-0123456789abcdef0",
            },
          ],
        },
      ],
      ["DeleteParameterCommand", { Name: RUNNER_NAMED }],
    ]);
  });

  it("grants a token its caller still holds without reading it back: Parameter Store's reads and writes share one throughput", async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 1, Tier: "Standard", ...ok });
    ssm.on(DeleteParameterCommand).resolves(ok);

    expect(await drop.grant("linux-arm-a1b2c3", "i-0123456789abcdef0", "glrt-secret")).toBe(
      "granted",
    );

    expect(sent().map(([name]) => name)).toEqual(["PutParameterCommand", "DeleteParameterCommand"]);
    expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toMatchObject({
      Name: INSTANCE_NAMED,
      Value: "glrt-secret",
    });
  });

  it("answers consumed, and writes nothing, when no token waits under the runner's name", async () => {
    ssm.on(GetParameterCommand).rejects(notFound);

    expect(await drop.grant("linux-arm-a1b2c3", "i-0123456789abcdef0")).toBe("consumed");

    expect(sent().map(([name]) => name)).toEqual(["GetParameterCommand"]);
  });

  it("finishes a grant that stopped between its copy and its delete", async () => {
    waitingToken();
    ssm.on(PutParameterCommand).rejects(
      new ParameterAlreadyExists({
        message: "The parameter already exists.",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    ssm.on(DeleteParameterCommand).resolves(ok);

    expect(await drop.grant("linux-arm-a1b2c3", "i-0123456789abcdef0")).toBe("granted");

    expect(ssm.commandCalls(DeleteParameterCommand)[0]!.args[0].input).toEqual({
      Name: RUNNER_NAMED,
    });
  });

  it("grants when a concurrent grant deleted the runner-named token first", async () => {
    waitingToken();
    ssm.on(PutParameterCommand).resolves({ Version: 1, Tier: "Standard", ...ok });
    ssm.on(DeleteParameterCommand).rejects(notFound);

    expect(await drop.grant("linux-arm-a1b2c3", "i-0123456789abcdef0")).toBe("granted");
  });

  it("keeps the token under the runner's name when its copy fails", async () => {
    waitingToken();
    ssm.on(PutParameterCommand).rejects(new Error("ThrottlingException"));

    await expect(drop.grant("linux-arm-a1b2c3", "i-0123456789abcdef0")).rejects.toThrow(
      "Throttling",
    );
    expect(ssm.commandCalls(DeleteParameterCommand)).toEqual([]);
  });

  it("removes the token under both names, and a token already gone under either is fine", async () => {
    ssm.on(DeleteParameterCommand).rejects(notFound);

    await drop.remove("linux-arm-a1b2c3", "i-0123456789abcdef0");

    expect(sent()).toEqual([
      ["DeleteParameterCommand", { Name: RUNNER_NAMED }],
      ["DeleteParameterCommand", { Name: INSTANCE_NAMED }],
    ]);
  });

  it("removes only the runner-named token when no instance was launched", async () => {
    ssm.on(DeleteParameterCommand).resolves(ok);

    await drop.remove("linux-arm-a1b2c3");

    expect(sent()).toEqual([["DeleteParameterCommand", { Name: RUNNER_NAMED }]]);
  });

  it("passes on other failures", async () => {
    ssm.on(DeleteParameterCommand).rejects(new Error("AccessDeniedException"));

    await expect(drop.remove("linux-arm-a1b2c3")).rejects.toThrow("AccessDenied");
  });
});
