import { SSMClient } from "@aws-sdk/client-ssm";
import {
  runnerLogGroupName,
  SsmTokenDrop,
  TOKEN_READER_TAG,
  tokenParameterPrefix,
} from "@ger/core";
import { describe, expect, it } from "vitest";
import { runnerManagedPolicies, runnerStatements } from "../../infra/lib/iam";
import { awsManagedPolicy } from "../support/aws-managed-policies";
import { evaluate, inlinePolicy, type NamedPolicy, TEST_ACCOUNT } from "../support/iam-evaluate";
import { evaluateKeyUse, KEY_ARN, keyPolicy, OTHER_KEY_ARN } from "./key-policy-evaluate";

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

/*
 * The operator settings' statements: runner_logs, ca_certificates, ecr_credential_helper and
 * kms_key_arn, each allowed as far as its setting goes, and not at all without it.
 */

const logGroup = runnerLogGroupName(where.deployment);
const streamOf = (group: string, stream: string) =>
  `arn:aws:logs:${where.region}:${TEST_ACCOUNT}:log-group:${group}:log-stream:${stream}`;
const CA_PARAMETER = "/acme/ca/root.pem";
const CA_OBJECT = "s3://acme-pki/ca/intermediate.pem";
const withSettings = (context: typeof where & { kmsKeyArn?: string } = where) => [
  inlinePolicy(
    "RunnerPolicy",
    runnerStatements(context, {
      logGroupName: logGroup,
      caCertificates: [{ ssm_parameter: CA_PARAMETER }, { s3: CA_OBJECT }],
      ecrPull: true,
    }),
  ),
];
const withoutSettings = [inlinePolicy("RunnerPolicy", runnerStatements(where))];
const request = (policies: readonly NamedPolicy[], action: string, resource: string) =>
  evaluate({ policies, action, resource });

describe("runner role: runner_logs", () => {
  it.each(["logs:CreateLogStream", "logs:PutLogEvents"])(
    "%s on the runner log group's stream named by the instance id",
    async (action) => {
      expect(await request(withSettings(), action, streamOf(logGroup, "i-1"))).toBe("allowed");
    },
  );

  it.each(["logs:CreateLogStream", "logs:PutLogEvents"])(
    "no %s on another log group's stream, nor with runner_logs off",
    async (action) => {
      const functionLogs = "/aws/lambda/gitlab-runner-autoscaler-production-ScalerFunction";

      expect(await request(withSettings(), action, streamOf(functionLogs, "i-1"))).toBe(
        "implicitly_denied",
      );
      expect(await request(withoutSettings, action, streamOf(logGroup, "i-1"))).toBe(
        "implicitly_denied",
      );
    },
  );

  it.each(["logs:GetLogEvents", "logs:DeleteLogStream"])(
    "no %s: a job cannot read or remove what other runners shipped",
    async (action) => {
      expect(await request(withSettings(), action, streamOf(logGroup, "i-2"))).toBe(
        "implicitly_denied",
      );
    },
  );
});

describe("runner role: ca_certificates", () => {
  const object = (key: string) => `arn:aws:s3:::acme-pki/${key}`;

  it("reads the listed CA parameter and object", async () => {
    expect(await request(withSettings(), "ssm:GetParameter", parameter(CA_PARAMETER))).toBe(
      "allowed",
    );
    expect(await request(withSettings(), "s3:GetObject", object("ca/intermediate.pem"))).toBe(
      "allowed",
    );
  });

  it("reads no other parameter beside them, nor another object of their bucket", async () => {
    expect(await request(withSettings(), "ssm:GetParameter", parameter("/acme/ca/key.pem"))).toBe(
      "implicitly_denied",
    );
    expect(await request(withSettings(), "s3:GetObject", object("ca/private.key"))).toBe(
      "implicitly_denied",
    );
    expect(await request(withSettings(), "s3:PutObject", object("ca/intermediate.pem"))).toBe(
      "implicitly_denied",
    );
  });

  it("reads neither without ca_certificates", async () => {
    expect(await request(withoutSettings, "ssm:GetParameter", parameter(CA_PARAMETER))).toBe(
      "implicitly_denied",
    );
    expect(await request(withoutSettings, "s3:GetObject", object("ca/intermediate.pem"))).toBe(
      "implicitly_denied",
    );
  });

  it("refuses an S3 key IAM would read as a pattern", () => {
    expect(() =>
      runnerStatements(where, { caCertificates: [{ s3: "s3://acme-pki/ca/*.pem" }] }),
    ).toThrow("which IAM reads as a pattern");
  });
});

describe("runner role: runner.docker.ecr_credential_helper", () => {
  const repository = (account: string, name: string) =>
    `arn:aws:ecr:${where.region}:${account}:repository/${name}`;

  it("gets a registry token and pulls from the account's repositories", async () => {
    expect(await request(withSettings(), "ecr:GetAuthorizationToken", "*")).toBe("allowed");
    for (const action of [
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
      "ecr:BatchCheckLayerAvailability",
    ])
      expect(
        await request(withSettings(), action, repository(TEST_ACCOUNT, "ci/node")),
        action,
      ).toBe("allowed");
  });

  it("pushes nothing, and pulls from no other account", async () => {
    for (const action of ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:BatchDeleteImage"])
      expect(
        await request(withSettings(), action, repository(TEST_ACCOUNT, "ci/node")),
        action,
      ).toBe("implicitly_denied");
    expect(
      await request(withSettings(), "ecr:BatchGetImage", repository("210987654321", "ci/node")),
    ).toBe("implicitly_denied");
  });

  it("gets no registry token when no pool uses the helper", async () => {
    expect(await request(withoutSettings, "ecr:GetAuthorizationToken", "*")).toBe(
      "implicitly_denied",
    );
  });
});

describe("runner role: kms_key_arn", () => {
  const keyed = withSettings({ ...where, kmsKeyArn: KEY_ARN });
  const decrypt = (
    policies: readonly NamedPolicy[],
    context: Record<string, string>,
    key = KEY_ARN,
  ) => evaluateKeyUse({ action: "kms:Decrypt", keyPolicy: keyPolicy([]), policies, context, key });
  const viaSsm = { "kms:ViaService": `ssm.${where.region}.amazonaws.com` };

  it("decrypts through SSM, where it reads its own token and the CA parameters only", async () => {
    expect(await decrypt(keyed, viaSsm)).toBe("allowed");
  });

  it("decrypts nothing straight, through another service, with another key, or without the setting", async () => {
    expect(await decrypt(keyed, {})).toBe("implicitly_denied");
    expect(await decrypt(keyed, { "kms:ViaService": `s3.${where.region}.amazonaws.com` })).toBe(
      "implicitly_denied",
    );
    expect(await decrypt(keyed, viaSsm, OTHER_KEY_ARN)).toBe("implicitly_denied");
    expect(await decrypt(withSettings(), viaSsm)).toBe("implicitly_denied");
  });

  it("encrypts nothing and makes no grant", async () => {
    for (const action of ["kms:Encrypt", "kms:GenerateDataKey", "kms:CreateGrant"])
      expect(
        await evaluateKeyUse({
          action,
          keyPolicy: keyPolicy([]),
          policies: keyed,
          context: viaSsm,
        }),
        action,
      ).toBe("implicitly_denied");
  });
});
