import { CreateFleetCommand, type CreateFleetCommandInput, EC2Client } from "@aws-sdk/client-ec2";
import { Ec2FleetCompute, parseAutoscalerConfig, TAG_KEYS, tokenParameterPrefix } from "@ger/core";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { scalerStatements } from "../../infra/lib/iam";
import { configInput } from "../support/config";
import { evaluate, inlinePolicy, TEST_ACCOUNT } from "../support/iam-evaluate";

/*
 * Cost tags (config `tags`, pool `instance.tags`) ride on the launch beside the deployment's own:
 * the scaler's statements condition on the deployment tag alone, so the operator's tags change
 * nothing, and a launch without the deployment tag stays refused. The requests are the EC2
 * adapter's own CreateFleet input.
 */

const REGION = "eu-central-1";
const input = configInput();
const config = parseAutoscalerConfig({
  ...input,
  tags: { CostCenter: "ci-4711" },
  pools: input.pools.map((pool, index) =>
    index === 0 ? { ...pool, instance: { ...pool.instance, tags: { Project: "arm" } } } : pool,
  ),
});
const [pool] = config.pools;
const template = `arn:aws:ec2:${REGION}:${TEST_ACCOUNT}:launch-template/lt-0a1b2c3d4e5f60718`;
const scaler = [
  inlinePolicy(
    "ScalerPolicy",
    scalerStatements(
      {
        partition: "aws",
        region: REGION,
        account: TEST_ACCOUNT,
        deployment: config.deployment,
        tableArn: `arn:aws:dynamodb:${REGION}:${TEST_ACCOUNT}:table/state`,
        tokenParameterPrefix: tokenParameterPrefix(config.deployment),
      },
      {
        gitlabTokenSecretArn: `arn:aws:secretsmanager:${REGION}:${TEST_ACCOUNT}:secret:g-AbCdEf`,
        launchTemplateArns: [template],
        runnerRoleArn: `arn:aws:iam::${TEST_ACCOUNT}:role/runner`,
        tableStreamArn: `arn:aws:dynamodb:${REGION}:${TEST_ACCOUNT}:table/state/stream/x`,
      },
    ),
  ),
];

const launchInput = async (): Promise<CreateFleetCommandInput> => {
  const ec2 = mockClient(EC2Client);
  ec2.on(CreateFleetCommand).resolves({
    Instances: [{ InstanceIds: ["i-0123456789abcdef0"], InstanceType: "t4g.large" }],
  });
  await new Ec2FleetCompute(new EC2Client({ region: REGION }), {
    deployment: config.deployment,
    tags: config.tags,
    launchTemplates: {
      [pool?.name ?? ""]: { launchTemplateId: "lt-0a1b2c3d4e5f60718", version: "1" },
    },
  }).launch({ launchId: "linux-arm-a1b2c3", count: 1, pool: pool!, waitTimeoutSeconds: 300 });
  const [call] = ec2.commandCalls(CreateFleetCommand);
  ec2.restore();
  return call!.args[0].input;
};

const SAMPLE_IDS: Record<string, string> = {
  instance: "instance/i-0123456789abcdef0",
  volume: "volume/vol-0123456789abcdef0",
  fleet: "fleet/fleet-01234567-89ab-cdef-0123-456789abcdef",
};

/** Each tagged resource of the launch, with its tags as IAM's request tags; `drop` leaves one out. */
const taggedResources = (launch: CreateFleetCommandInput, drop?: string) =>
  (launch.TagSpecifications ?? []).map((spec) => ({
    type: String(spec.ResourceType),
    arn: `arn:aws:ec2:${REGION}:${TEST_ACCOUNT}:${SAMPLE_IDS[String(spec.ResourceType)]}`,
    tags: Object.fromEntries(
      (spec.Tags ?? [])
        .filter((tag) => tag.Key !== drop)
        .map((tag) => [`aws:RequestTag/${tag.Key}`, tag.Value ?? ""]),
    ),
  }));

/** What EC2 authorizes for one launch: CreateFleet, the RunInstances it makes, tag-on-create. */
const decisions = async (drop?: string) => {
  const resources = taggedResources(await launchInput(), drop);
  const decided: Record<string, string> = {};
  for (const { type, arn, tags } of resources) {
    decided[`CreateFleet ${type}`] = await evaluate({
      policies: scaler,
      action: "ec2:CreateFleet",
      resource: arn,
      context: tags,
    });
    if (type !== "fleet")
      decided[`RunInstances ${type}`] = await evaluate({
        policies: scaler,
        action: "ec2:RunInstances",
        resource: arn,
        context: { ...tags, "ec2:LaunchTemplate": template },
      });
    decided[`CreateTags ${type}`] = await evaluate({
      policies: scaler,
      action: "ec2:CreateTags",
      resource: arn,
      context: { ...tags, "ec2:CreateAction": "CreateFleet" },
    });
  }
  return decided;
};

describe("a launch with the operator's cost tags", () => {
  it("carries them on instance, volume and fleet, beside the deployment tag", async () => {
    const resources = taggedResources(await launchInput());

    expect(resources.map(({ type }) => type)).toEqual(["instance", "volume", "fleet"]);
    for (const { tags } of resources)
      expect(tags).toMatchObject({
        "aws:RequestTag/CostCenter": "ci-4711",
        [`aws:RequestTag/${TAG_KEYS.deployment}`]: config.deployment,
      });
    expect(resources[0]?.tags).toMatchObject({ "aws:RequestTag/Project": "arm" });
  });

  it("is allowed: CreateFleet, RunInstances and CreateTags on every resource it tags", async () => {
    const decided = await decisions();

    expect(Object.keys(decided)).toHaveLength(8);
    expect(Object.entries(decided).filter(([, decision]) => decision !== "allowed")).toEqual([]);
  });

  it("without the deployment tag is refused its instances and volumes, whatever else it carries", async () => {
    expect(await decisions(TAG_KEYS.deployment)).toMatchObject({
      "CreateFleet instance": "implicitly_denied",
      "CreateFleet volume": "implicitly_denied",
      "RunInstances instance": "implicitly_denied",
      "RunInstances volume": "implicitly_denied",
    });
  });
});
