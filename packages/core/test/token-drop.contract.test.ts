import { SSMClient } from "@aws-sdk/client-ssm";
import type { TokenDrop } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { parameterStore } from "../../../test/support/parameter-store";
import { InMemoryTokenDrop, SsmTokenDrop } from "../src/index";

const PREFIX = "/gitlab-runner-autoscaler/ci-autoscaler/runners";
const ARN_PREFIX = "arn:aws:ec2:eu-central-1:123456789012:instance/";

interface Subject {
  readonly drop: TokenDrop;
  /**
   * What an instance does at boot: reads the token waiting under its own id (allowed only if
   * granted to it), then deletes it.
   */
  instanceTakes(instanceId: string): string | undefined;
  /** Tokens stored anywhere, under runner names and instance ids. */
  stored(): number;
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
        // As the runner role's IAM allows: only a parameter whose reader tag is the caller's ARN.
        instanceTakes: (instanceId) => {
          const name = drop.instanceParameterName(instanceId);
          const parameter = store.parameters.get(name);
          if (parameter?.reader !== `${ARN_PREFIX}${instanceId}`) return undefined;
          store.parameters.delete(name);
          return parameter.value;
        },
        stored: () => store.parameters.size,
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
        instanceTakes: (instanceId) => {
          const token = drop.read(instanceId);
          drop.granted.delete(instanceId);
          return token;
        },
        stored: () => drop.stored,
        done: () => undefined,
      };
    },
  ],
];

const INSTANCE = "i-0bbbbbbbbbbbbbbbb";
const OTHER_INSTANCE = "i-0aaaaaaaaaaaaaaaa";

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
    "lets no instance take a token before it is granted",
    withSubject(async ({ drop, instanceTakes }) => {
      await drop.put("linux-arm-0001", "glrt-one");

      expect(instanceTakes(INSTANCE)).toBeUndefined();
      expect(instanceTakes(OTHER_INSTANCE)).toBeUndefined();
    }),
  );

  it(
    "lets only the granted instance take the token, by its own id",
    withSubject(async ({ drop, instanceTakes }) => {
      await drop.put("linux-arm-0001", "glrt-one");

      expect(await drop.grant("linux-arm-0001", INSTANCE)).toBe("granted");

      expect(instanceTakes(OTHER_INSTANCE)).toBeUndefined();
      expect(instanceTakes(INSTANCE)).toBe("glrt-one");
      expect(instanceTakes(INSTANCE)).toBeUndefined();
    }),
  );

  it(
    "grants a token its caller holds just as one read back, and leaves nothing under the runner's name",
    withSubject(async ({ drop, instanceTakes, stored }) => {
      await drop.put("linux-arm-0003", "glrt-three");

      expect(await drop.grant("linux-arm-0003", INSTANCE, "glrt-three")).toBe("granted");

      expect(stored()).toBe(1);
      expect(instanceTakes(OTHER_INSTANCE)).toBeUndefined();
      expect(instanceTakes(INSTANCE)).toBe("glrt-three");
      expect(stored()).toBe(0);
    }),
  );

  it(
    "moves the token on grant: nothing is left under the runner's name",
    withSubject(async ({ drop, stored }) => {
      await drop.put("linux-arm-0002", "glrt-two");

      await drop.grant("linux-arm-0002", INSTANCE);

      expect(stored()).toBe(1);
      // A second grant finds nothing to move, to this instance or to any other.
      expect(await drop.grant("linux-arm-0002", OTHER_INSTANCE)).toBe("consumed");
      expect(stored()).toBe(1);
    }),
  );

  it(
    "answers a grant repeated after the instance took its token with consumed, not an error",
    withSubject(async ({ drop, instanceTakes, stored }) => {
      await drop.put("linux-arm-0003", "glrt-three");
      await drop.grant("linux-arm-0003", INSTANCE);
      instanceTakes(INSTANCE);

      expect(await drop.grant("linux-arm-0003", INSTANCE)).toBe("consumed");
      expect(stored()).toBe(0);
    }),
  );

  it(
    "keeps each instance's token apart from the others'",
    withSubject(async ({ drop, instanceTakes }) => {
      await drop.put("linux-arm-0004", "glrt-four");
      await drop.put("linux-arm-0005", "glrt-five");
      await drop.grant("linux-arm-0004", INSTANCE);
      await drop.grant("linux-arm-0005", OTHER_INSTANCE);

      expect(instanceTakes(OTHER_INSTANCE)).toBe("glrt-five");
      expect(instanceTakes(INSTANCE)).toBe("glrt-four");
    }),
  );

  it(
    "removes a token waiting under the runner's name, and removing one already gone is not an error",
    withSubject(async ({ drop, instanceTakes, stored }) => {
      await drop.put("linux-arm-0006", "glrt-six");
      await drop.remove("linux-arm-0006");
      await drop.remove("linux-arm-0006", INSTANCE);

      expect(stored()).toBe(0);
      expect(await drop.grant("linux-arm-0006", INSTANCE)).toBe("consumed");
      expect(instanceTakes(INSTANCE)).toBeUndefined();
    }),
  );

  it(
    "removes a granted token the instance never took, given the instance's id",
    withSubject(async ({ drop, instanceTakes, stored }) => {
      await drop.put("linux-arm-0007", "glrt-seven");
      await drop.grant("linux-arm-0007", INSTANCE);

      await drop.remove("linux-arm-0007", INSTANCE);

      expect(stored()).toBe(0);
      expect(instanceTakes(INSTANCE)).toBeUndefined();
    }),
  );
});
