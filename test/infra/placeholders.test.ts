import { parseAutoscalerConfig } from "@ger/core";
import { describe, expect, it } from "vitest";
import shipped from "../../autoscaler.config";
import { placeholderProblems, refusePlaceholders } from "../../infra/lib/placeholders";
import deployed from "../deploy/deploy.config";

describe("a deploy refuses the example's placeholders, by field", () => {
  it("names gitlab_url and every subnet of the shipped autoscaler.config.ts, and what to put there", () => {
    const problems = placeholderProblems(parseAutoscalerConfig(shipped));

    expect(problems[0]).toMatch(
      /^gitlab_url is https:\/\/gitlab\.example\.com, .*your GitLab's URL/,
    );
    expect(problems.slice(1)).toEqual([
      expect.stringMatching(
        /^pools\.0\.instance\.subnets\.0 is subnet-\w+, .*a subnet of your VPC/,
      ),
      expect.stringMatching(/^pools\.0\.instance\.subnets\.1 /),
      expect.stringMatching(/^pools\.1\.instance\.subnets\.0 /),
      expect.stringMatching(/^pools\.1\.instance\.subnets\.1 /),
    ]);
    expect(() => refusePlaceholders(parseAutoscalerConfig(shipped))).toThrow(
      "autoscaler.config.ts still has the example's placeholders",
    );
  });

  it.each(["https://example.org", "https://ci.example.net/gitlab", "https://gitlab.example"])(
    "refuses %s as the GitLab URL",
    (url) => {
      const config = parseAutoscalerConfig({ ...deployed, gitlab_url: url });

      expect(placeholderProblems(config)).toEqual([expect.stringMatching(/^gitlab_url is /)]);
    },
  );

  it("accepts a config with its own GitLab and subnets", () => {
    expect(placeholderProblems(parseAutoscalerConfig(deployed))).toEqual([]);
    expect(
      placeholderProblems(
        parseAutoscalerConfig({ ...deployed, gitlab_url: "https://myexample.com" }),
      ),
    ).toEqual([]);
  });
});
