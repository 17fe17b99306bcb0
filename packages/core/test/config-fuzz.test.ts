import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  base,
  freeRemovals,
  invalidMutation,
  type Mutation,
  mutated,
  setAt,
  validChange,
} from "../../../test/support/config-mutations";
import { ConfigurationError, parseAutoscalerConfig } from "../src/index";

/**
 * parseAutoscalerConfig under one change at a time to a valid config (see config-mutations.ts):
 * an invalid one is always a ConfigurationError naming the field's dotted path, a valid one is
 * always taken.
 */

const SEED = 20_260_601;

/** `path` is `outer` or inside it; everything is inside the config itself. */
const isWithin = (path: string, outer: string) =>
  outer === "(config)" || path === outer || path.startsWith(`${outer}.`);

/** The paths the error's lines name: `  <path>: <message>`. */
const namedPaths = (message: string) =>
  message
    .split("\n")
    .slice(1)
    .map((line) => line.trimStart().split(": ")[0] ?? "");

const refusal = (input: unknown): Error | undefined => {
  try {
    parseAutoscalerConfig(input);
    return undefined;
  } catch (error) {
    return error as Error;
  }
};

describe("parseAutoscalerConfig under fuzzing", () => {
  it("accepts the rich config the mutations start from", () => {
    expect(refusal(base)).toBeUndefined();
  });

  it("refuses every invalid change with a ConfigurationError naming the field's path", () => {
    fc.assert(
      fc.property(invalidMutation, (change: Mutation) => {
        const error = refusal(mutated(change));

        expect(error, `accepted ${change.label}`).toBeInstanceOf(ConfigurationError);
        expect(error?.message).toMatch(/^invalid autoscaler config:\n {2}/);
        const paths = namedPaths(error!.message);
        const named = `${change.label} named ${paths.join(", ")}`;
        expect(
          paths.some((path) => isWithin(path, change.names)),
          named,
        ).toBe(true);
        // A consequence may be told at an object holding the field (idle_count against a
        // negative max_instances, at the pool), never at another field.
        const unrelated = paths.filter(
          (path) => !isWithin(path, change.names) && !isWithin(change.names, path),
        );
        expect(unrelated, named).toEqual([]);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it("accepts every valid change to a field", () => {
    fc.assert(
      fc.property(validChange, (change) => {
        expect(refusal(mutated(change))?.message, change.label).toBeUndefined();
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it.each(freeRemovals.map((change) => [change.label, change] as const))(
    "accepts the config after %s",
    (_, change) => {
      expect(refusal(mutated(change))?.message).toBeUndefined();
    },
  );

  // Found by the fuzzing above; kept as examples.
  it.each([
    [
      "pools.0.runner.maximum_timout",
      (c: Record<string, unknown>) => setAt(c, ["pools", 0, "runner", "maximum_timout"], "3h"),
    ],
    [
      "pools.2.runner.group_id",
      (c: Record<string, unknown>) => setAt(c, ["pools", 2, "runner", "group_id"], 42),
    ],
    [
      "pools.0.max_instances",
      (c: Record<string, unknown>) => setAt(c, ["pools", 0, "max_instances"], 1e21),
    ],
    ["max_instances", (c: Record<string, unknown>) => setAt(c, ["max_instances"], 2 ** 53)],
    [
      "gitlab_url",
      (c: Record<string, unknown>) => setAt(c, ["gitlab_url"], "gitlab.example.com:443"),
    ],
    [
      "pools.1.boot_timeout",
      (c: Record<string, unknown>) => setAt(c, ["pools", 1, "boot_timeout"], 1e300),
    ],
    [
      "pools.0.policy.0.idle_time",
      (c: Record<string, unknown>) =>
        setAt(c, ["pools", 0, "policy", 0, "idle_time"], "99999999999999999999h"),
    ],
  ])("refuses %s, which it used to accept", (path, change) => {
    const config = structuredClone(base);
    change(config);

    expect(() => parseAutoscalerConfig(config)).toThrow(
      new RegExp(`\\n  ${path.replaceAll(".", "\\.")}: `),
    );
  });
});
