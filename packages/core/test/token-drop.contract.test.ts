import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  InvalidResourceId,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import type { TokenDrop } from "@ger/core/types";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { InMemoryTokenDrop, SsmTokenDrop } from "../src/index";

const PREFIX = "/gitlab-runner-autoscaler/ci-autoscaler/runners";
const ARN_PREFIX = "arn:aws:ec2:eu-central-1:123456789012:instance/";

/**
 * Parameter Store as far as the token drop uses it, behind the SDK mock, answering with SSM's
 * real errors: tagging a missing parameter is InvalidResourceId, deleting one ParameterNotFound.
 */
const parameterStore = () => {
  const parameters = new Map<string, { value: string; reader?: string }>();
  const ssm = mockClient(SSMClient);
  ssm.on(PutParameterCommand).callsFake(({ Name, Value }) => {
    parameters.set(Name, { value: Value });
    return { Version: 1, Tier: "Standard" };
  });
  ssm.on(AddTagsToResourceCommand).callsFake(({ ResourceId, Tags }) => {
    const parameter = parameters.get(ResourceId);
    if (!parameter)
      throw new InvalidResourceId({
        message:
          "The resource ID isn't valid. Verify that you entered the correct ID and try again.",
        $metadata: { httpStatusCode: 400 },
      });
    parameter.reader = Tags[0]?.Value;
    return {};
  });
  ssm.on(DeleteParameterCommand).callsFake(({ Name }) => {
    if (!parameters.delete(Name))
      throw new ParameterNotFound({
        message: "Parameter not found",
        $metadata: { httpStatusCode: 400 },
      });
    return {};
  });
  return { parameters, restore: () => ssm.restore() };
};

interface Subject {
  readonly drop: TokenDrop;
  /** What the instance does at boot: reads its token (allowed only if granted to it), deletes it. */
  instanceTakes(runnerName: string, instanceId: string): string | undefined;
  readonly done: () => void;
}

const subjects: [string, () => Subject][] = [
  [
    "SSM (mocked Parameter Store)",
    () => {
      const store = parameterStore();
      const drop = new SsmTokenDrop(new SSMClient({ region: "eu-central-1" }), {
        parameterPrefix: PREFIX,
        instanceArnPrefix: ARN_PREFIX,
      });
      return {
        drop,
        instanceTakes: (runnerName, instanceId) => {
          const name = drop.parameterName(runnerName);
          const parameter = store.parameters.get(name);
          if (parameter?.reader !== `${ARN_PREFIX}${instanceId}`) return undefined;
          store.parameters.delete(name);
          return parameter.value;
        },
        done: store.restore,
      };
    },
  ],
  [
    "in memory",
    () => {
      const drop = new InMemoryTokenDrop();
      return {
        drop,
        instanceTakes: (runnerName, instanceId) => {
          const token = drop.read(runnerName, instanceId);
          if (token !== undefined) drop.tokens.delete(runnerName);
          return token;
        },
        done: () => undefined,
      };
    },
  ],
];

describe.each(subjects)("TokenDrop contract: %s", (_, makeSubject) => {
  const withSubject = (test: (subject: Subject) => Promise<void>) => async () => {
    const subject = makeSubject();
    try {
      await test(subject);
    } finally {
      subject.done();
    }
  };

  it(
    "lets only the granted instance take the token",
    withSubject(async ({ drop, instanceTakes }) => {
      await drop.put("linux-arm-0001", "glrt-one");

      expect(instanceTakes("linux-arm-0001", "i-0aaaaaaaaaaaaaaaa")).toBeUndefined();
      expect(await drop.grant("linux-arm-0001", "i-0bbbbbbbbbbbbbbbb")).toBe("granted");
      expect(instanceTakes("linux-arm-0001", "i-0aaaaaaaaaaaaaaaa")).toBeUndefined();
      expect(instanceTakes("linux-arm-0001", "i-0bbbbbbbbbbbbbbbb")).toBe("glrt-one");
    }),
  );

  it(
    "answers a grant repeated after the instance took its token with consumed, not an error",
    withSubject(async ({ drop, instanceTakes }) => {
      await drop.put("linux-arm-0002", "glrt-two");
      await drop.grant("linux-arm-0002", "i-0bbbbbbbbbbbbbbbb");
      instanceTakes("linux-arm-0002", "i-0bbbbbbbbbbbbbbbb");

      expect(await drop.grant("linux-arm-0002", "i-0bbbbbbbbbbbbbbbb")).toBe("consumed");
    }),
  );

  it(
    "removes a token, and removing one already gone is not an error",
    withSubject(async ({ drop, instanceTakes }) => {
      await drop.put("linux-arm-0003", "glrt-three");
      await drop.remove("linux-arm-0003");
      await drop.remove("linux-arm-0003");

      expect(await drop.grant("linux-arm-0003", "i-0bbbbbbbbbbbbbbbb")).toBe("consumed");
      expect(instanceTakes("linux-arm-0003", "i-0bbbbbbbbbbbbbbbb")).toBeUndefined();
    }),
  );
});
