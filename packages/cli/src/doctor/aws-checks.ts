import type { AutoscalerConfig } from "@ger/core/types";
import type { AwsAccount, CallerIdentity, InstanceTypeFacts, StageOutputs } from "./aws-account";
import {
  checkFleet,
  checkImage,
  checkNetwork,
  checkSubnets,
  checkTypes,
  type PoolChecksContext,
} from "./aws-pool-checks";
import { checkCaches, checkQuotas } from "./aws-quota-checks";
import { checkStage, guarded, type WebhookProbe } from "./aws-stage-checks";
import { type CheckResult, checksOf, describeError } from "./check";

const { pass, fail } = checksOf("aws");

export interface AwsChecksContext {
  readonly config: AutoscalerConfig;
  readonly account: AwsAccount;
  readonly stage: string;
  readonly probeWebhook: WebhookProbe;
}

export interface AwsChecks {
  readonly results: CheckResult[];
  readonly identity?: CallerIdentity;
  /** The stage's outputs, for the GitLab checks (webhook URL, token secret). */
  readonly outputs?: StageOutputs;
}

/** The caller, the deployed stage, each pool's launch path, the quotas and the caches. */
export const runAwsChecks = async (context: AwsChecksContext): Promise<AwsChecks> => {
  const { config, account, stage } = context;
  let identity: CallerIdentity;
  try {
    identity = await account.callerIdentity();
  } catch (error) {
    return {
      results: [
        fail("aws.credentials", "credentials", {
          saw: describeError(error),
          fix: "configure credentials and a region for the stage's account: aws configure or aws sso login, AWS_PROFILE, AWS_REGION",
        }),
      ],
    };
  }
  const results: CheckResult[] = [
    pass(
      "aws.credentials",
      "credentials",
      `${identity.arn} in account ${identity.account}, ${identity.region}`,
    ),
  ];
  const outputs = await account.stageOutputs(stage);
  if (outputs) {
    results.push(pass("aws.stage", `stage ${stage}`, `deployed as ${outputs.deployment}`));
    results.push(...(await checkStage({ ...context, outputs })));
  } else {
    results.push(
      fail("aws.stage", `stage ${stage}`, {
        saw: `stage ${stage} is not deployed in account ${identity.account}, ${identity.region}`,
        fix: `npx sst deploy --stage ${stage} (or set AWS_REGION / AWS_PROFILE to where it is)`,
      }),
    );
  }
  const allSubnets = [...new Set(config.pools.flatMap((pool) => pool.instance.subnets))];
  const allTypes = [...new Set(config.pools.flatMap((pool) => pool.instance.types))];
  const subnets = await account.subnets(allSubnets);
  const types: InstanceTypeFacts[] = await account.instanceTypes(allTypes);
  const vpcs = [...new Set(subnets.map((subnet) => subnet.vpcId))];
  if (vpcs.length > 1)
    results.push(
      fail("aws.vpc", "one VPC", {
        saw: `the pools' subnets are in ${vpcs.length} VPCs (${vpcs.join(", ")}); the runners' security group lives in one`,
        fix: "use subnets of one VPC in every pool",
      }),
    );
  for (const pool of config.pools) {
    const poolContext: PoolChecksContext = {
      account,
      pool,
      subnets: subnets.filter((subnet) => pool.instance.subnets.includes(subnet.subnetId)),
      types: types.filter((type) => pool.instance.types.includes(type.instanceType)),
      callerArn: identity.arn,
      stage,
      deployment: config.deployment,
      ...(outputs && { outputs }),
    };
    results.push(checkSubnets(poolContext), checkNetwork(poolContext));
    results.push(
      await guarded(`aws.types.${pool.name}`, `instance types of ${pool.name}`, () =>
        checkTypes(poolContext),
      ),
      await guarded(`aws.ami.${pool.name}`, `AMI of ${pool.name}`, async () =>
        checkImage(poolContext, await account.image(pool.instance.ami)),
      ),
      await guarded(`aws.fleet.${pool.name}`, `launch in ${pool.name} (dry run)`, () =>
        checkFleet(poolContext),
      ),
    );
  }
  results.push(
    ...(await checkQuotas(config, account, types)),
    ...(await checkCaches(config, account, stage)),
  );
  return { results, identity, ...(outputs && { outputs }) };
};
