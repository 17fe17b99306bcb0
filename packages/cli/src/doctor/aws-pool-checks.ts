import { instanceTags } from "@ger/core";
import type { PoolConfig } from "@ger/core/types";
import type {
  AwsAccount,
  ImageAnswer,
  InstanceTypeFacts,
  StageOutputs,
  SubnetFacts,
} from "./aws-account";
import { type CheckResult, checksOf } from "./check";
import { marketsOf } from "./pool-markets";

const { pass, warn, fail } = checksOf("aws");

export interface PoolChecksContext {
  readonly account: AwsAccount;
  readonly pool: PoolConfig;
  readonly subnets: readonly SubnetFacts[];
  readonly types: readonly InstanceTypeFacts[];
  readonly callerArn: string;
  /** Undefined when the stage is not deployed: the dry run needs its launch template. */
  readonly outputs?: StageOutputs;
  readonly stage: string;
  readonly deployment: string;
}

export const checkSubnets = ({ pool, subnets }: PoolChecksContext): CheckResult => {
  const id = `aws.subnets.${pool.name}`;
  const missing = pool.instance.subnets.filter(
    (subnetId) => !subnets.some((subnet) => subnet.subnetId === subnetId),
  );
  if (missing.length > 0)
    return fail(id, `subnets of ${pool.name}`, {
      saw: `no subnet ${missing.join(", ")} in this account and region`,
      fix: `set pools.${pool.name}.instance.subnets in autoscaler.config.ts to subnets of your VPC (aws ec2 describe-subnets), or set AWS_REGION to the stage's region`,
    });
  return pass(
    id,
    `subnets of ${pool.name}`,
    subnets.map((subnet) => `${subnet.subnetId} (${subnet.zone})`).join(", "),
  );
};

/** Runners fetch their token from SSM and register with GitLab: every subnet needs a way out. */
export const checkNetwork = ({ pool, subnets }: PoolChecksContext): CheckResult => {
  const id = `aws.network.${pool.name}`;
  const title = `internet route of ${pool.name}`;
  const broken: string[] = [];
  const unknown: string[] = [];
  const fixes: string[] = [];
  for (const subnet of subnets) {
    const route = subnet.defaultRoute;
    if (route.kind === "nat-gateway") continue;
    if (route.kind === "internet-gateway") {
      if (subnet.mapPublicIpOnLaunch) continue;
      broken.push(`${subnet.subnetId} routes to ${route.target} but gives instances no public IP`);
      fixes.push(
        `aws ec2 modify-subnet-attribute --subnet-id ${subnet.subnetId} --map-public-ip-on-launch`,
      );
    } else if (route.kind === "other") {
      unknown.push(`${subnet.subnetId} routes 0.0.0.0/0 to ${route.target}`);
    } else {
      broken.push(`${subnet.subnetId} has no route to 0.0.0.0/0`);
      fixes.push(`add a NAT gateway route for ${subnet.subnetId}'s route table`);
    }
  }
  if (broken.length > 0)
    return fail(id, title, {
      saw: `${broken.join("; ")}: its runners cannot reach GitLab or SSM, and time out unregistered`,
      fix: `${fixes.join("; ")} (or use private subnets behind a NAT gateway)`,
      docs: "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html",
    });
  if (unknown.length > 0)
    return warn(id, title, {
      saw: `${unknown.join("; ")}: cannot be followed from here`,
      fix: "make sure that path reaches the internet (GitLab) and SSM",
    });
  return pass(id, title, "every subnet reaches the internet (NAT, or a gateway with public IPs)");
};

export const checkTypes = async ({ account, pool, subnets, types }: PoolChecksContext) => {
  const id = `aws.types.${pool.name}`;
  const title = `instance types of ${pool.name}`;
  const unknown = pool.instance.types.filter((type) => !types.some((t) => t.instanceType === type));
  if (unknown.length > 0)
    return fail(id, title, {
      saw: `EC2 knows no type ${unknown.join(", ")} in this region`,
      fix: `remove or correct it in pools.${pool.name}.instance.types`,
      docs: "https://aws.amazon.com/ec2/instance-types/",
    });
  const zones = [...new Set(subnets.map((subnet) => subnet.zone))];
  const offered = await account.offerings(pool.instance.types, zones);
  const nowhere: string[] = [];
  const partly: string[] = [];
  for (const type of pool.instance.types) {
    const missing = zones.filter((zone) => !offered.has(`${type}@${zone}`));
    if (missing.length === zones.length) nowhere.push(type);
    else if (missing.length > 0) partly.push(`${type} not in ${missing.join(", ")}`);
  }
  if (nowhere.length > 0)
    return fail(id, title, {
      saw: `${nowhere.join(", ")} offered in none of the pool's zones (${zones.join(", ")})`,
      fix: `use types offered there (aws ec2 describe-instance-type-offerings --location-type availability-zone), or subnets in other zones`,
    });
  if (partly.length > 0)
    return warn(id, title, {
      saw: `${partly.join("; ")}: CreateFleet skips those pairs, so fewer fallbacks`,
      fix: "add another type offered in every zone",
    });
  return pass(id, title, `${pool.instance.types.join(", ")} offered in ${zones.join(", ")}`);
};

export const checkImage = ({ pool, types }: PoolChecksContext, image: ImageAnswer): CheckResult => {
  const id = `aws.ami.${pool.name}`;
  const title = `AMI of ${pool.name}`;
  const named = pool.instance.ami.id ?? pool.instance.ami.ssm_parameter;
  if (image.kind === "missing")
    return fail(id, title, {
      saw: `${named}: ${image.reason}`,
      fix: `set pools.${pool.name}.instance.ami to an image of this region (an id, or a public SSM parameter such as /aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id)`,
    });
  if (image.state !== "available")
    return fail(id, title, {
      saw: `${image.imageId} is ${image.state}`,
      fix: "use an available image",
    });
  const mismatched = types
    .filter((type) => !type.architectures.includes(image.architecture))
    .map((type) => `${type.instanceType} (${type.architectures.join("/")})`);
  if (mismatched.length > 0)
    return fail(id, title, {
      saw: `${image.imageId} is ${image.architecture}; ${mismatched.join(", ")} cannot run it`,
      fix: `give the pool types of one architecture and an AMI built for it (split x86_64 and arm64 into two pools)`,
    });
  const resolved = named === image.imageId ? named : `${named} → ${image.imageId}`;
  return pass(id, title, `${resolved} (${image.architecture}, available)`);
};

/**
 * CreateFleet as the scaler sends it, with DryRun: EC2 then judges IAM only (these credentials'
 * policies, boundaries and the organization's SCPs), not the template or the overrides, which
 * the checks above cover.
 */
export const checkFleet = async (context: PoolChecksContext): Promise<CheckResult> => {
  const { account, pool, outputs, callerArn } = context;
  const id = `aws.fleet.${pool.name}`;
  const title = `launch in ${pool.name} (dry run)`;
  const template = outputs?.launchTemplates[pool.name];
  if (!template)
    return fail(id, title, {
      saw: outputs
        ? `the deployed stage has no launch template for pool ${pool.name}`
        : "not deployed: no launch template to try",
      fix: `npx sst deploy --stage ${context.stage}`,
    });
  const imageId = pool.instance.ami.id ?? `resolve:ssm:${pool.instance.ami.ssm_parameter}`;
  const overrides = pool.instance.types.flatMap((instanceType) =>
    pool.instance.subnets.map((subnetId) => ({ instanceType, subnetId, imageId })),
  );
  const allowed: string[] = [];
  for (const market of marketsOf(pool)) {
    const tags = instanceTags(context.deployment, pool.name, "doctor-dry-run");
    const answer = await account.dryRunFleet({ ...template, market, overrides, tags });
    if (answer.kind === "denied")
      return fail(id, title, {
        saw: `${market} CreateFleet denied for ${callerArn}: ${answer.reason ?? answer.message}`,
        fix: answer.reason
          ? "lift the deny named above (an SCP, a permissions boundary or a policy); the scaler's own role is checked offline against AWS's authorization data by npm test"
          : "allow these credentials sts:DecodeAuthorizationMessage to see why, then lift the deny",
        docs: "https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html",
      });
    if (answer.kind === "invalid")
      return fail(id, title, {
        saw: `${market} CreateFleet refused: ${answer.code}: ${answer.message}`,
        fix: answer.code.startsWith("InvalidLaunchTemplate")
          ? `deploy again: npx sst deploy --stage ${context.stage}`
          : `correct pool ${pool.name} in autoscaler.config.ts, then deploy again`,
      });
    allowed.push(market);
  }
  return pass(
    id,
    title,
    `EC2 would accept ${allowed.join(" and ")} launches of ${template.launchTemplateId} from ${callerArn}`,
  );
};
