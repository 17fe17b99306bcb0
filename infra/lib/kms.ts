import { logGroupArn } from "./iam";

/**
 * What the key policy of `kms_key_arn` must also allow: the deployment's roles need only their IAM
 * statements (infra/lib/iam.ts) when the key policy delegates to the account (the default key
 * policy's root statement), but AWS's service-linked roles and CloudWatch Logs act as themselves.
 * Plain data, for the stack output `kmsKeyPolicyStatements`, the README and the tests.
 */

/** One statement of a key policy; `Resource: "*"` there means the key itself. */
export interface KeyPolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Principal: { readonly AWS: readonly string[] } | { readonly Service: string };
  readonly Action: readonly string[];
  readonly Resource: "*";
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface KeyPolicyContext {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** The runner log group (runnerLogGroupName) when runner_logs is on: CloudWatch Logs encrypts it. */
  readonly logGroupName?: string;
}

/**
 * EC2 Spot's and EC2 Fleet's service-linked roles launch the fleet's instances, so they, not the
 * scaler, create the encrypted volumes (AWS: "Required key policy for use with encrypted volumes").
 * KMS refuses a key policy naming a role that does not exist yet: they exist once a spot fleet ran
 * in the account, or after `aws iam create-service-linked-role --aws-service-name <service>` for
 * spot.amazonaws.com and ec2fleet.amazonaws.com.
 */
export const serviceLinkedRoleArns = (where: KeyPolicyContext): string[] => [
  `arn:${where.partition}:iam::${where.account}:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot`,
  `arn:${where.partition}:iam::${where.account}:role/aws-service-role/ec2fleet.amazonaws.com/AWSServiceRoleForEC2Fleet`,
];

export const kmsKeyPolicyStatements = (where: KeyPolicyContext): KeyPolicyStatement[] => [
  {
    Sid: "RunnerVolumesByEC2SpotAndFleet",
    Effect: "Allow",
    Principal: { AWS: serviceLinkedRoleArns(where) },
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
    Principal: { AWS: serviceLinkedRoleArns(where) },
    Action: ["kms:CreateGrant"],
    Resource: "*",
    Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
  },
  ...(where.logGroupName
    ? [
        {
          Sid: "RunnerLogsByCloudWatchLogs",
          Effect: "Allow" as const,
          // CloudWatch Logs names the log group in the encryption context of every call: this
          // group only. DescribeKey carries no context, so no statement with it could match.
          Principal: { Service: `logs.${where.region}.amazonaws.com` },
          Action: [
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
          ],
          Resource: "*" as const,
          Condition: {
            ArnEquals: {
              "kms:EncryptionContext:aws:logs:arn": logGroupArn(where, where.logGroupName),
            },
          },
        },
      ]
    : []),
];
