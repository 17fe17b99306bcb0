import { describe, expect, it } from "vitest";
import { evaluate, type NamedPolicy } from "../support/iam-evaluate";

const PARAMETER = "arn:aws:ssm:eu-central-1:123456789012:parameter/prod/db-password";

const policy = (name: string, effect: "Allow" | "Deny"): NamedPolicy => ({
  name,
  document: {
    Version: "2012-10-17",
    Statement: [{ Effect: effect, Action: "ssm:GetParameter", Resource: "*" }],
  },
});

describe("evaluate: one request against a caller's identity policies", () => {
  it("adds up the allows of every policy and lets a deny in any of them win", async () => {
    const request = { action: "ssm:GetParameter", resource: PARAMETER };

    expect(await evaluate({ ...request, policies: [] })).toBe("implicitly_denied");
    expect(await evaluate({ ...request, policies: [policy("a", "Allow")] })).toBe("allowed");
    expect(
      await evaluate({ ...request, policies: [policy("a", "Allow"), policy("d", "Deny")] }),
    ).toBe("explicitly_denied");
  });

  it("refuses a condition key AWS does not send with the action, which no condition could meet", async () => {
    const request = {
      policies: [policy("a", "Allow")],
      action: "ssm:GetParameter",
      resource: PARAMETER,
      context: { "s3:prefix": "tokens/" },
    };

    await expect(evaluate(request)).rejects.toThrow("is sent without s3:prefix");
  });

  it("refuses a resource pattern and an action IAM does not know", async () => {
    const policies = [policy("a", "Allow")];

    await expect(
      evaluate({ policies, action: "ssm:GetParameter", resource: `${PARAMETER}*` }),
    ).rejects.toThrow("not the pattern");
    await expect(
      evaluate({ policies, action: "ssm:ReadEverything", resource: PARAMETER }),
    ).rejects.toThrow("cannot evaluate ssm:ReadEverything");
  });
});
