import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
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
const NAME = "/gitlab-runner-autoscaler/ci-autoscaler/runners/linux-arm-a1b2c3";

describe("SsmTokenDrop", () => {
  beforeEach(() => ssm.reset());

  it("stores the token as a SecureString, overwriting a retry's earlier one", async () => {
    ssm
      .on(PutParameterCommand)
      .resolves({ Version: 1, Tier: "Standard", $metadata: { httpStatusCode: 200 } });

    await drop.put("linux-arm-a1b2c3", "glrt-secret");

    expect(ssm.commandCalls(PutParameterCommand)[0]!.args[0].input).toMatchObject({
      Name: NAME,
      Value: "glrt-secret",
      Type: "SecureString",
      Overwrite: true,
    });
  });

  it("lets exactly one instance read it by tagging the parameter with that instance's ARN", async () => {
    ssm.on(AddTagsToResourceCommand).resolves({ $metadata: { httpStatusCode: 200 } });

    await drop.grant("linux-arm-a1b2c3", "i-0123456789abcdef0");

    expect(ssm.commandCalls(AddTagsToResourceCommand)[0]!.args[0].input).toEqual({
      ResourceType: "Parameter",
      ResourceId: NAME,
      Tags: [
        {
          Key: "gitlab-runner-autoscaler:reader",
          Value: "arn:aws:ec2:eu-central-1:123456789012:instance/i-0123456789abcdef0",
        },
      ],
    });
  });

  it("removes the token, and a token already removed (the instance deleted it) is fine", async () => {
    ssm
      .on(DeleteParameterCommand)
      .resolvesOnce({ $metadata: { httpStatusCode: 200 } })
      .rejectsOnce(
        new ParameterNotFound({
          message: "Parameter not found",
          $metadata: { httpStatusCode: 400 },
        }),
      );

    await drop.remove("linux-arm-a1b2c3");
    await drop.remove("linux-arm-a1b2c3");

    expect(ssm.commandCalls(DeleteParameterCommand)).toHaveLength(2);
  });

  it("passes on other failures", async () => {
    ssm.on(DeleteParameterCommand).rejects(new Error("AccessDeniedException"));

    await expect(drop.remove("linux-arm-a1b2c3")).rejects.toThrow("AccessDenied");
  });
});
