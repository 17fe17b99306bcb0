import {
  launchTemplateData,
  renderUserData,
  runnerLogGroupName,
  runnerScriptSettings,
} from "@ger/core";
import { policyDocument, runnerManagedPolicies, runnerStatements } from "./lib/iam";
import { toLaunchTemplateArgs } from "./lib/launch-template-args";
import { caller, config, deployment, partition, region, tokenPrefix } from "./settings";

/** Cache objects older than this are deleted (GitLab's cache is rebuilt on a miss). */
const CACHE_EXPIRY_DAYS = 90;

// Every pool's subnets are in one VPC: the security group lives there.
const vpcId = aws.ec2.getSubnetOutput({ id: config.pools[0]?.instance.subnets[0] ?? "" }).vpcId;

/**
 * The S3 caches the pools name (`cache.bucket`), one bucket per name, created here so that the
 * name in the runners' config is the bucket they get: encrypted, private, old objects expired.
 */
export const cacheBuckets = [
  ...new Set(config.pools.flatMap((pool) => (pool.cache ? [pool.cache.bucket] : []))),
].map((name) => {
  const bucket = new aws.s3.Bucket(`RunnerCache-${name}`, { bucket: name, forceDestroy: true });
  new aws.s3.BucketPublicAccessBlock(`RunnerCachePrivate-${name}`, {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new aws.s3.BucketServerSideEncryptionConfiguration(`RunnerCacheEncrypted-${name}`, {
    bucket: bucket.id,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
  });
  new aws.s3.BucketLifecycleConfiguration(`RunnerCacheExpiry-${name}`, {
    bucket: bucket.id,
    rules: [
      {
        id: "expire-old-cache",
        status: "Enabled",
        filter: {},
        expiration: { days: CACHE_EXPIRY_DAYS },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
    ],
  });
  return bucket;
});

/**
 * The runners' boot, user-data and gitlab-runner logs (runner_logs), one stream per instance named
 * by its id, written by the instances themselves: kept after the instance is gone.
 */
export const runnerLogGroup = config.runner_logs.enabled
  ? new aws.cloudwatch.LogGroup("RunnerLogs", {
      name: runnerLogGroupName(deployment),
      retentionInDays: config.runner_logs.retention_days,
      kmsKeyId: config.kms_key_arn,
    })
  : undefined;

/**
 * The role every runner instance runs with: its own token, the cache, Session Manager if opted in,
 * its logs, the extra CAs, ECR pulls. Its path and permissions boundary: infra/transforms.ts.
 */
export const runnerRole = new aws.iam.Role("RunnerRole", {
  assumeRolePolicy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ],
  }),
});

const runnerPolicy = new aws.iam.RolePolicy("RunnerPolicy", {
  role: runnerRole.name,
  policy: $resolve({
    partition: partition.partition,
    region: region.region,
    account: caller.accountId,
    cacheArns: $util.all(cacheBuckets.map((bucket) => bucket.arn)),
  }).apply(({ cacheArns, ...where }) =>
    JSON.stringify(
      policyDocument(
        runnerStatements(
          {
            ...where,
            deployment,
            tokenParameterPrefix: tokenPrefix,
            kmsKeyArn: config.kms_key_arn,
          },
          {
            cacheBucketArns: cacheArns,
            sessionManager: config.session_manager,
            logGroupName: config.runner_logs.enabled ? runnerLogGroupName(deployment) : undefined,
            caCertificates: config.ca_certificates,
            ecrPull: config.pools.some((pool) => pool.runner.docker.ecr_credential_helper),
          },
        ),
      ),
    ),
  ),
});

// The role has exactly the policies test/infra evaluates: allows add up, so a deploy removes any
// other, inline or managed, attached by hand (Pulumi sees such drift after `sst refresh`).
new aws.iam.RolePoliciesExclusive("RunnerInlinePolicies", {
  roleName: runnerRole.name,
  policyNames: [runnerPolicy.name],
});
new aws.iam.RolePolicyAttachmentsExclusive("RunnerManagedPolicies", {
  roleName: runnerRole.name,
  policyArns: runnerManagedPolicies.map(
    (name) => $interpolate`arn:${partition.partition}:iam::aws:policy/${name}`,
  ),
});

export const runnerProfile = new aws.iam.InstanceProfile("RunnerProfile", {
  role: runnerRole.name,
  path: config.role_path,
});

/** No inbound rules: runners only call out (GitLab, registries, AWS APIs). */
export const runnerSecurityGroup = new aws.ec2.SecurityGroup("RunnerSecurityGroup", {
  description: `${deployment} GitLab runners: no inbound, all outbound`,
  vpcId,
  egress: [
    { protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
  ],
});

/**
 * One launch template per pool: user-data, profile, security groups, IMDSv2, encrypted disk
 * (under the customer's key, if any).
 */
export const launchTemplates = Object.fromEntries(
  config.pools.map((pool) => {
    const data = $resolve({ profileArn: runnerProfile.arn, groupId: runnerSecurityGroup.id }).apply(
      ({ profileArn, groupId }) =>
        toLaunchTemplateArgs(
          launchTemplateData(pool, {
            userData: renderUserData(pool, runnerScriptSettings(config)),
            instanceProfileArn: profileArn,
            securityGroupIds: [groupId],
            kmsKeyId: config.kms_key_arn,
          }),
        ),
    );
    const template = new aws.ec2.LaunchTemplate(`Pool-${pool.name}`, {
      description: `${deployment} pool ${pool.name}`,
      updateDefaultVersion: true,
      userData: data.userData,
      iamInstanceProfile: data.iamInstanceProfile,
      vpcSecurityGroupIds: data.vpcSecurityGroupIds,
      instanceInitiatedShutdownBehavior: data.instanceInitiatedShutdownBehavior,
      metadataOptions: data.metadataOptions,
      blockDeviceMappings: data.blockDeviceMappings,
      monitoring: data.monitoring,
    });
    return [pool.name, template] as const;
  }),
);
