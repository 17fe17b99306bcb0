import { TOKEN_READER_TAG, tokenParameterPrefix } from "@ger/core";
import { describe, expect, it } from "vitest";
import { runnerManagedPolicies, runnerStatements } from "../../infra/lib/iam";
import { awsManagedPolicy } from "../support/aws-managed-policies";
import { evaluate, inlinePolicy, type NamedPolicy, TEST_ACCOUNT } from "../support/iam-evaluate";

/*
 * The runner role as AWS evaluates it: its inline statements plus every attached AWS managed
 * policy, whose allows add to them. Any job on a runner holds these credentials.
 */

const where = {
  partition: "aws",
  region: "eu-central-1",
  account: TEST_ACCOUNT,
  deployment: "ci-autoscaler",
  tokenParameterPrefix: tokenParameterPrefix("ci-autoscaler"),
};
const instance = (id: string) => `arn:aws:ec2:${where.region}:${TEST_ACCOUNT}:instance/${id}`;
const parameter = (path: string) => `arn:aws:ssm:${where.region}:${TEST_ACCOUNT}:parameter${path}`;

const ownToken = parameter(`${where.tokenParameterPrefix}/linux-arm-a1b2c3`);
const othersToken = parameter(`${where.tokenParameterPrefix}/linux-arm-d4e5f6`);
const unrelated = parameter("/prod/db-password");

const runnerRole = (managedPolicies: readonly string[], sessionManager: boolean): NamedPolicy[] => [
  inlinePolicy(
    "RunnerPolicy",
    runnerStatements(where, {
      cacheBucketArns: ["arn:aws:s3:::ci-autoscaler-cache"],
      sessionManager,
    }),
  ),
  ...managedPolicies.map(awsManagedPolicy),
];

/** A request signed with instance i-1's role credentials; a parameter carries its reader tag. */
const byInstance1 = (
  policies: readonly NamedPolicy[],
  action: string,
  resource: string,
  reader?: string,
) =>
  evaluate({
    policies,
    action,
    resource,
    context: {
      "ec2:SourceInstanceARN": instance("i-1"),
      // SSM sends a parameter's tags under both keys.
      ...(reader && {
        [`aws:ResourceTag/${TOKEN_READER_TAG}`]: reader,
        [`ssm:resourceTag/${TOKEN_READER_TAG}`]: reader,
      }),
    },
  });

const READS = ["ssm:GetParameter", "ssm:GetParameters"];

describe("runner role, evaluated with its attached AWS managed policies", () => {
  it.each(READS)(
    "with AmazonSSMManagedInstanceCore attached, as before issue 17, instance i-1 may %s i-2's token and any parameter",
    async (action) => {
      const before = runnerRole(["AmazonSSMManagedInstanceCore"], false);

      expect(await byInstance1(before, action, othersToken, instance("i-2"))).toBe("allowed");
      expect(await byInstance1(before, action, unrelated)).toBe("allowed");
    },
  );

  describe.each([false, true])("session_manager: %s", (sessionManager) => {
    const role = runnerRole(runnerManagedPolicies, sessionManager);

    it.each(READS)("instance i-1 may not %s the token tagged for i-2", async (action) => {
      expect(await byInstance1(role, action, othersToken, instance("i-2"))).toBe(
        "implicitly_denied",
      );
    });

    it.each(READS)("instance i-1 may not %s an unrelated parameter", async (action) => {
      expect(await byInstance1(role, action, unrelated)).toBe("implicitly_denied");
    });

    it.each(["ssm:GetParameter", "ssm:DeleteParameter"])(
      "instance i-1 may %s the token tagged for it",
      async (action) => {
        expect(await byInstance1(role, action, ownToken, instance("i-1"))).toBe("allowed");
      },
    );
  });

  it("session_manager: true lets the agent register the instance and open a session", async () => {
    const role = runnerRole(runnerManagedPolicies, true);

    expect(await byInstance1(role, "ssm:UpdateInstanceInformation", instance("i-1"))).toBe(
      "allowed",
    );
    expect(await byInstance1(role, "ssmmessages:OpenDataChannel", "*")).toBe("allowed");
  });

  it("session_manager: false opens no session", async () => {
    const role = runnerRole(runnerManagedPolicies, false);

    expect(await byInstance1(role, "ssmmessages:OpenDataChannel", "*")).toBe("implicitly_denied");
  });
});
