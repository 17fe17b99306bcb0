import { SSMClient } from "@aws-sdk/client-ssm";
import { SsmTokenDrop, TOKEN_READER_TAG, tokenParameterPrefix } from "@ger/core";
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

// Named as the scaler's adapter names them: granted under the instance's id, waiting under the
// runner's name.
const drop = new SsmTokenDrop(new SSMClient({ region: where.region }), {
  parameterPrefix: where.tokenParameterPrefix,
  instanceArnPrefix: instance(""),
});
const ownToken = parameter(drop.instanceParameterName("i-1"));
const othersToken = parameter(drop.instanceParameterName("i-2"));
const waitingToken = parameter(drop.parameterName("linux-arm-a1b2c3"));
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
const READS_AND_DELETES = [...READS, "ssm:DeleteParameter"];

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

    it.each(READS_AND_DELETES)(
      "instance i-1 may not %s the token granted to i-2",
      async (action) => {
        expect(await byInstance1(role, action, othersToken, instance("i-2"))).toBe(
          "implicitly_denied",
        );
      },
    );

    it.each(READS_AND_DELETES)(
      "instance i-1 may not %s a token waiting under its runner's name, before the grant",
      async (action) => {
        expect(await byInstance1(role, action, waitingToken)).toBe("implicitly_denied");
      },
    );

    it.each(READS)(
      "instance i-1 may not %s a runner-named token even if it carried i-1's reader tag",
      async (action) => {
        expect(await byInstance1(role, action, waitingToken, instance("i-1"))).toBe(
          "implicitly_denied",
        );
      },
    );

    it.each(READS)(
      "instance i-1 may not %s a token named by its id but tagged for i-2",
      async (action) => {
        expect(await byInstance1(role, action, ownToken, instance("i-2"))).toBe(
          "implicitly_denied",
        );
      },
    );

    it("instance i-1 may not list the granted tokens by path", async () => {
      const grantedPath = parameter(
        SsmTokenDrop.instanceParameterPrefix(where.tokenParameterPrefix),
      );

      expect(await byInstance1(role, "ssm:GetParametersByPath", grantedPath)).toBe(
        "implicitly_denied",
      );
    });

    it.each(["ssm:PutParameter", "ssm:AddTagsToResource"])(
      "instance i-1 may not %s to make i-2's token its own",
      async (action) => {
        expect(await byInstance1(role, action, othersToken)).toBe("implicitly_denied");
      },
    );

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
