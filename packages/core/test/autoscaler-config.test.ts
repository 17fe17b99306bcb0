import { describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import { ConfigurationError, parseAutoscalerConfig } from "../src/index";
import { parseDurationSeconds } from "../src/pools/duration";

type Mutable = Record<string, unknown> & { pools: Record<string, unknown>[] };
const withChange = (change: (config: Mutable) => void): unknown => {
  const config = structuredClone(configInput()) as unknown as Mutable;
  change(config);
  return config;
};

describe("parseAutoscalerConfig", () => {
  it("fills GitLab-style defaults and turns durations into seconds", () => {
    const config = parseAutoscalerConfig(configInput());

    const [arm, gpu] = config.pools;
    expect(arm).toMatchObject({
      idle_time: 300,
      boot_timeout: 600,
      straggler_after: 90,
      runner: {
        runner_type: "group_type",
        group_id: 42,
        executor: "docker",
        maximum_timeout: 3600,
      },
      instance: { market: "spot-then-on-demand", disk_size_gb: 30, security_group_ids: [] },
    });
    expect(arm?.policy[0]).toMatchObject({ timezone: "Europe/Berlin", idle_time: 1200 });
    expect(gpu).toMatchObject({
      run_untagged: false,
      idle_count: 0,
      runner: { image: "alpine:latest" },
    });
  });

  it.each([
    ["pools.0.idle_time", (c: Mutable) => Object.assign(c.pools[0]!, { idle_time: "soon" })],
    ["pools.0.idle_cont", (c: Mutable) => Object.assign(c.pools[0]!, { idle_cont: 1 })],
    [
      "pools.1.instance.subnets",
      (c: Mutable) => Object.assign(c.pools[1]!.instance as object, { subnets: [] }),
    ],
    [
      "pools.1.instance.types.0",
      (c: Mutable) => Object.assign(c.pools[1]!.instance as object, { types: ["huge"] }),
    ],
    [
      "pools.0.policy.0.timezone",
      (c: Mutable) =>
        ((c.pools[0]!.policy as object[])[0] = { periods: ["* * * * *"], timezone: "Mars/Base" }),
    ],
    [
      "pools.0.policy.0.periods.0",
      (c: Mutable) => ((c.pools[0]!.policy as object[])[0] = { periods: ["every day"] }),
    ],
    [
      "pools.1.runner.project_id",
      (c: Mutable) => Object.assign(c.pools[1]!.runner as object, { project_id: undefined }),
    ],
    [
      "pools.1.runner.runner_type",
      (c: Mutable) => Object.assign(c.pools[1]!.runner as object, { runner_type: "shared" }),
    ],
    [
      "pools.1.instance.ami",
      (c: Mutable) => Object.assign(c.pools[1]!.instance as object, { ami: {} }),
    ],
    ["pools.1", (c: Mutable) => Object.assign(c.pools[1]!, { tags: [] })],
    ["pools.1", (c: Mutable) => Object.assign(c.pools[1]!, { idle_count: 3 })],
    ["pools", (c: Mutable) => Object.assign(c.pools[1]!, { name: "linux-arm" })],
    ["gitlab_url", (c: Mutable) => Object.assign(c, { gitlab_url: "gitlab" })],
    ["deployment", (c: Mutable) => Object.assign(c, { deployment: "CI Autoscaler" })],
  ])("names the bad field %s", (path, change) => {
    const parse = () => parseAutoscalerConfig(withChange(change));

    expect(parse).toThrow(ConfigurationError);
    expect(parse).toThrow(new RegExp(`\\n  ${path.replaceAll(".", "\\.")}: `));
  });
});

describe("parseAutoscalerConfig: runner maximum_timeout", () => {
  const withTimeout = (maximum_timeout: number | string) =>
    withChange((c) => Object.assign(c.pools[0]!.runner as object, { maximum_timeout }));

  it.each([599, "9m59s"])("refuses %j with GitLab's message, naming the field", (timeout) => {
    expect(() => parseAutoscalerConfig(withTimeout(timeout))).toThrow(
      "\n  pools.0.runner.maximum_timeout: needs to be at least 10 minutes",
    );
  });

  it("accepts 10 minutes, the shortest GitLab takes", () => {
    expect(parseAutoscalerConfig(withTimeout("10m")).pools[0]?.runner.maximum_timeout).toBe(600);
  });
});

describe("parseAutoscalerConfig: session_manager", () => {
  it("is off unless the config turns it on", () => {
    expect(parseAutoscalerConfig(configInput()).session_manager).toBe(false);
    expect(
      parseAutoscalerConfig(withChange((c) => Object.assign(c, { session_manager: true })))
        .session_manager,
    ).toBe(true);
  });

  it("refuses anything but a boolean, naming the field", () => {
    expect(() =>
      parseAutoscalerConfig(withChange((c) => Object.assign(c, { session_manager: "yes" }))),
    ).toThrow("\n  session_manager: ");
  });
});

describe("parseDurationSeconds", () => {
  it.each([
    [90, 90],
    ["90s", 90],
    ["20m", 1200],
    ["1h30m", 5400],
    ["20m0s", 1200],
    ["1h", 3600],
  ])("reads %j as %i seconds", (input, seconds) => {
    expect(parseDurationSeconds(input)).toBe(seconds);
  });

  it.each(["", "soon", "1d", "-5m", 1.5, -1])("refuses %j", (input) => {
    expect(parseDurationSeconds(input)).toBeUndefined();
  });
});
