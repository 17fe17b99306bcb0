import {
  type _InstanceType,
  CreateFleetCommand,
  type CreateFleetCommandOutput,
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import type { PoolConfig } from "@ger/core/types";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import { Ec2FleetCompute, parseAutoscalerConfig } from "../src/index";

const ec2 = mockClient(EC2Client);
const config = parseAutoscalerConfig(configInput());
const [armPool, gpuPool] = config.pools;
/** What terminate() refused, as its onRefusedTermination heard it. */
const refusals: { instanceIds: readonly string[]; reason: string }[] = [];
const compute = new Ec2FleetCompute(new EC2Client({ region: "us-east-1" }), {
  deployment: "ci-autoscaler",
  launchTemplates: {
    "linux-arm": { launchTemplateId: "lt-0a1b2c3d4e5f60718", version: "3" },
    gpu: { launchTemplateId: "lt-0f1e2d3c4b5a69788", version: "1" },
  },
  onRefusedTermination: (instanceIds, reason) => refusals.push({ instanceIds, reason }),
});

/** A launch of `count` instances named `launchId` in `pool`, with the wait timeout every case uses. */
const launch = (launchId: string, pool: PoolConfig, count = 1) =>
  compute.launch({ launchId, count, pool, waitTimeoutSeconds: 300 });

/** CreateFleet's answer shapes, as the EC2 API returns them for instant fleets. */
const launched = (
  instanceId: string | string[],
  lifecycle: "spot" | "on-demand",
  instanceType: _InstanceType = "t4g.large",
): CreateFleetCommandOutput => ({
  FleetId: "fleet-12345678-1234-1234-1234-123456789012",
  Instances: [
    {
      LaunchTemplateAndOverrides: {
        LaunchTemplateSpecification: { LaunchTemplateId: "lt-0a1b2c3d4e5f60718", Version: "3" },
        Overrides: { InstanceType: instanceType, SubnetId: "subnet-0a1b2c3d4e5f60718" },
      },
      Lifecycle: lifecycle,
      InstanceIds: [instanceId].flat(),
      InstanceType: instanceType,
      Platform: undefined,
    },
  ],
  Errors: [],
  $metadata: { httpStatusCode: 200 },
});
const fleetErrors = (...codes: string[]): CreateFleetCommandOutput => ({
  FleetId: "fleet-12345678-1234-1234-1234-123456789012",
  Instances: [],
  Errors: codes.map((code, index) => ({
    LaunchTemplateAndOverrides: {
      LaunchTemplateSpecification: { LaunchTemplateId: "lt-0a1b2c3d4e5f60718", Version: "3" },
      Overrides: {
        InstanceType: (index % 2 ? "m7g.large" : "t4g.large") as _InstanceType,
        SubnetId: "subnet-0a1b2c3d4e5f60718",
      },
    },
    Lifecycle: "spot",
    ErrorCode: code,
    ErrorMessage: `We currently do not have sufficient capacity (${code}).`,
  })),
  $metadata: { httpStatusCode: 200 },
});

/** How EC2 words an IAM denial: the reason is encoded, for `aws sts decode-authorization-message`. */
const NOT_AUTHORIZED = "You are not authorized to perform this operation.";
const ENCODED_MESSAGE = "Encoded authorization failure message: 4bSeJ3dVzC2kD9mQ-a1b2c3d4e5f6";

describe("Ec2FleetCompute", () => {
  beforeEach(() => ec2.reset());

  it("launches one spot instance over every type and subnet, tagged and idempotent", async () => {
    ec2.on(CreateFleetCommand).resolves(launched("i-0123456789abcdef0", "spot"));

    const result = await launch("linux-arm-a1b2c3", armPool!);

    expect(result).toEqual({
      kind: "launched",
      instances: [{ instanceId: "i-0123456789abcdef0", instanceType: "t4g.large", market: "spot" }],
    });
    const input = ec2.commandCalls(CreateFleetCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      Type: "instant",
      ClientToken: "linux-arm-a1b2c3-spot",
      TargetCapacitySpecification: {
        TotalTargetCapacity: 1,
        DefaultTargetCapacityType: "spot",
        SpotTargetCapacity: 1,
      },
      SpotOptions: { AllocationStrategy: "price-capacity-optimized" },
    });
    expect(input.LaunchTemplateConfigs?.[0]?.Overrides).toHaveLength(4);
    expect(input.LaunchTemplateConfigs?.[0]?.Overrides?.[0]).toEqual({
      InstanceType: "t4g.large",
      SubnetId: "subnet-0a1b2c3d4e5f60718",
      ImageId:
        "resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id",
    });
    expect(input.TagSpecifications?.[0]).toEqual({
      ResourceType: "instance",
      Tags: [
        { Key: "gitlab-runner-autoscaler:deployment", Value: "ci-autoscaler" },
        { Key: "gitlab-runner-autoscaler:pool", Value: "linux-arm" },
        { Key: "gitlab-runner-autoscaler:launch", Value: "linux-arm-a1b2c3" },
        { Key: "Name", Value: "ci-autoscaler/linux-arm" },
        { Key: "gitlab-runner-autoscaler:wait-timeout", Value: "300" },
      ],
    });
  });

  it("adds the deployment's and the pool's cost tags to the instances, volumes and fleet", async () => {
    ec2.on(CreateFleetCommand).resolves(launched("i-0123456789abcdef0", "spot"));
    const tagged = new Ec2FleetCompute(new EC2Client({ region: "us-east-1" }), {
      deployment: "ci-autoscaler",
      tags: { CostCenter: "ci-4711", team: "platform" },
      launchTemplates: { "linux-arm": { launchTemplateId: "lt-0a1b2c3d4e5f60718", version: "3" } },
    });
    const pool = { ...armPool!, instance: { ...armPool!.instance, tags: { team: "arm" } } };

    await tagged.launch({ launchId: "linux-arm-a1b2c3", count: 1, pool, waitTimeoutSeconds: 300 });

    const specs = ec2.commandCalls(CreateFleetCommand)[0]!.args[0].input.TagSpecifications ?? [];
    expect(specs.map((spec) => spec.ResourceType)).toEqual(["instance", "volume", "fleet"]);
    for (const spec of specs) {
      expect(spec.Tags).toContainEqual({ Key: "CostCenter", Value: "ci-4711" });
      // The pool's own value wins over the deployment's.
      expect(spec.Tags).toContainEqual({ Key: "team", Value: "arm" });
      expect(spec.Tags).toContainEqual({
        Key: "gitlab-runner-autoscaler:deployment",
        Value: "ci-autoscaler",
      });
    }
  });

  it("takes the instance from a partial result that also lists failed overrides", async () => {
    ec2.on(CreateFleetCommand).resolves({
      ...launched("i-0aaaaaaaaaaaaaaaa", "spot", "m7g.large"),
      Errors: fleetErrors("InsufficientInstanceCapacity").Errors,
    });

    const result = await launch("linux-arm-a1b2c3", armPool!);

    expect(result).toMatchObject({
      kind: "launched",
      instances: [{ instanceId: "i-0aaaaaaaaaaaaaaaa", instanceType: "m7g.large" }],
    });
  });

  it("launches many instances in one call, returned by id, and asks on-demand for what spot could not give", async () => {
    ec2
      .on(CreateFleetCommand)
      .resolvesOnce({
        ...launched(["i-0ccccccccccccccc2", "i-0ccccccccccccccc1"], "spot"),
        Errors: fleetErrors("InsufficientInstanceCapacity").Errors,
      })
      .resolvesOnce(launched("i-0aaaaaaaaaaaaaaa9", "on-demand"));

    const result = await launch("linux-arm-a1b2c3", armPool!, 3);

    const calls = ec2.commandCalls(CreateFleetCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => [input.ClientToken, input.TargetCapacitySpecification])).toEqual([
      [
        "linux-arm-a1b2c3-spot",
        { TotalTargetCapacity: 3, DefaultTargetCapacityType: "spot", SpotTargetCapacity: 3 },
      ],
      [
        "linux-arm-a1b2c3-on-demand",
        {
          TotalTargetCapacity: 1,
          DefaultTargetCapacityType: "on-demand",
          OnDemandTargetCapacity: 1,
        },
      ],
    ]);
    // The order a resumed launch pairs runners by: market tried, then instance id.
    expect(result).toMatchObject({
      kind: "launched",
      instances: [
        { instanceId: "i-0ccccccccccccccc1", market: "spot" },
        { instanceId: "i-0ccccccccccccccc2", market: "spot" },
        { instanceId: "i-0aaaaaaaaaaaaaaa9", market: "on-demand" },
      ],
    });
  });

  it("keeps what one market gave when the next refuses for a reason capacity does not explain", async () => {
    ec2
      .on(CreateFleetCommand)
      .resolvesOnce({
        ...launched("i-0ccccccccccccccc1", "spot"),
        Errors: fleetErrors("InsufficientInstanceCapacity").Errors,
      })
      .resolvesOnce(fleetErrors("VcpuLimitExceeded"));

    const result = await launch("linux-arm-a1b2c3", armPool!, 2);

    expect(result).toEqual({
      kind: "launched",
      instances: [{ instanceId: "i-0ccccccccccccccc1", instanceType: "t4g.large", market: "spot" }],
    });
  });

  it("falls back to on-demand when spot has no capacity anywhere", async () => {
    ec2
      .on(CreateFleetCommand)
      .resolvesOnce(fleetErrors("InsufficientInstanceCapacity", "SpotMaxPriceTooLow"))
      .resolvesOnce(launched("i-0bbbbbbbbbbbbbbbb", "on-demand"));

    const result = await launch("linux-arm-a1b2c3", armPool!);

    expect(result).toMatchObject({ kind: "launched", instances: [{ market: "on-demand" }] });
    const second = ec2.commandCalls(CreateFleetCommand)[1]!.args[0].input;
    expect(second).toMatchObject({
      ClientToken: "linux-arm-a1b2c3-on-demand",
      TargetCapacitySpecification: {
        DefaultTargetCapacityType: "on-demand",
        OnDemandTargetCapacity: 1,
      },
      OnDemandOptions: { AllocationStrategy: "lowest-price" },
    });
  });

  it("reports no capacity, with every reason, when no market has any", async () => {
    ec2
      .on(CreateFleetCommand)
      .resolvesOnce(fleetErrors("InsufficientInstanceCapacity", "MaxSpotInstanceCountExceeded"))
      .resolvesOnce(
        fleetErrors("InsufficientInstanceCapacity", "InsufficientFreeAddressesInSubnet"),
      );

    const result = await launch("linux-arm-a1b2c3", armPool!);

    expect(result).toEqual({
      kind: "no_capacity",
      errors: [
        "InsufficientInstanceCapacity",
        "MaxSpotInstanceCountExceeded",
        "InsufficientInstanceCapacity",
        "InsufficientFreeAddressesInSubnet",
      ],
    });
  });

  it("stops at a quota error without trying the other market", async () => {
    ec2.on(CreateFleetCommand).resolves(fleetErrors("VcpuLimitExceeded"));

    const result = await launch("linux-arm-a1b2c3", armPool!);

    expect(result).toMatchObject({ kind: "quota_exceeded", code: "VcpuLimitExceeded" });
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(1);
  });

  it("reports an error thrown by the API with its code", async () => {
    ec2.on(CreateFleetCommand).rejects(
      new EC2ServiceException({
        name: "InvalidParameterValue",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
        message: "Value (subnet-0a1b2c3d4e5f60718) for parameter subnetId is invalid.",
      }),
    );

    const result = await launch("gpu-a1b2c3", gpuPool!);

    expect(result).toMatchObject({ kind: "failed", code: "InvalidParameterValue" });
  });

  it("stops at UnauthorizedOperation in the fleet's errors: no other market, not reported as no capacity", async () => {
    const denied = fleetErrors("InsufficientInstanceCapacity", "UnauthorizedOperation");
    ec2.on(CreateFleetCommand).resolves({
      ...denied,
      Errors: denied.Errors?.map((error) =>
        error.ErrorCode === "UnauthorizedOperation"
          ? { ...error, ErrorMessage: `${NOT_AUTHORIZED} ${ENCODED_MESSAGE}` }
          : error,
      ),
    });

    const result = await launch("linux-arm-a1b2c3", armPool!);

    expect(result).toEqual({
      kind: "failed",
      code: "UnauthorizedOperation",
      message: `${NOT_AUTHORIZED} ${ENCODED_MESSAGE}`,
    });
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(1);
  });

  it("reports a denial before a quota error listed with it", async () => {
    ec2.on(CreateFleetCommand).resolves(fleetErrors("VcpuLimitExceeded", "UnauthorizedOperation"));

    const result = await launch("linux-arm-a1b2c3", armPool!);

    expect(result).toMatchObject({ kind: "failed", code: "UnauthorizedOperation" });
  });

  it("stops at UnauthorizedOperation thrown by CreateFleet, passing on the encoded message", async () => {
    const message =
      `${NOT_AUTHORIZED} User: arn:aws:sts::123456789012:assumed-role/ci-autoscaler-scaler/scaler ` +
      "is not authorized to perform: ec2:CreateFleet on resource: " +
      "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0a1b2c3d4e5f60718 because no " +
      `identity-based policy allows the ec2:CreateFleet action. ${ENCODED_MESSAGE}`;
    // The SDK copies the EC2 error's Code and Message onto the exception.
    ec2.on(CreateFleetCommand).rejects(
      Object.assign(
        new EC2ServiceException({
          name: "UnauthorizedOperation",
          $fault: "client",
          $metadata: { httpStatusCode: 403 },
          message,
        }),
        { Code: "UnauthorizedOperation", Message: message },
      ),
    );

    const result = await launch("linux-arm-a1b2c3", armPool!);

    expect(result).toEqual({ kind: "failed", code: "UnauthorizedOperation", message });
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(1);
  });

  it("launches a pool set to on-demand only on demand, with its AMI id", async () => {
    ec2.on(CreateFleetCommand).resolves(launched("i-0ccccccccccccccccc", "on-demand", "g5.xlarge"));

    await launch("gpu-a1b2c3", gpuPool!);

    const input = ec2.commandCalls(CreateFleetCommand)[0]!.args[0].input;
    expect(input.TargetCapacitySpecification?.DefaultTargetCapacityType).toBe("on-demand");
    expect(input.LaunchTemplateConfigs?.[0]?.Overrides?.[0]?.ImageId).toBe("ami-0123456789abcdef0");
  });

  it("launches a spot pool's runner on demand only, when asked to (a retried interrupted job)", async () => {
    ec2.on(CreateFleetCommand).resolves(fleetErrors("InsufficientInstanceCapacity"));

    const result = await compute.launch({
      launchId: "linux-arm-d4e5f6",
      count: 1,
      pool: armPool!,
      waitTimeoutSeconds: 300,
      onDemand: true,
    });

    const calls = ec2.commandCalls(CreateFleetCommand).map((call) => call.args[0].input);
    expect(result).toMatchObject({ kind: "no_capacity" });
    expect(
      calls.map((input) => input.TargetCapacitySpecification?.DefaultTargetCapacityType),
    ).toEqual(["on-demand"]);
    expect(calls[0]?.ClientToken).toBe("linux-arm-d4e5f6-on-demand");
  });

  it("refuses a pool without a launch template instead of calling EC2", async () => {
    const other = { ...armPool!, name: "unknown" };

    const result = await launch("unknown-a1b2c3", other!);

    expect(result).toMatchObject({ kind: "failed", code: "NoLaunchTemplate" });
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(0);
  });
});

describe("Ec2FleetCompute: finding and terminating instances", () => {
  beforeEach(() => {
    ec2.reset();
    refusals.length = 0;
  });

  const STATE_CODES = { running: 16, "shutting-down": 32, terminated: 48 } as const;
  /** An instance as DescribeInstances shows it, tagged by `deployment`. */
  const described = (
    instanceId: string,
    state: keyof typeof STATE_CODES,
    launch: string,
    deployment = "ci-autoscaler",
  ) => ({
    InstanceId: instanceId,
    InstanceType: "t4g.large" as _InstanceType,
    InstanceLifecycle: "spot" as const,
    LaunchTime: new Date("2026-11-23T10:00:00Z"),
    State: { Code: STATE_CODES[state], Name: state },
    Tags: [
      { Key: "gitlab-runner-autoscaler:deployment", Value: deployment },
      { Key: "gitlab-runner-autoscaler:pool", Value: "linux-arm" },
      { Key: "gitlab-runner-autoscaler:launch", Value: launch },
    ],
  });

  it("lists this deployment's instances by tag, across pages", async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        Reservations: [{ Instances: [described("i-0aaaaaaaaaaaaaaa1", "running", "linux-arm-1")] }],
        NextToken: "page-2",
      })
      .resolvesOnce({
        Reservations: [
          { Instances: [described("i-0aaaaaaaaaaaaaaa2", "shutting-down", "linux-arm-2")] },
        ],
      });

    const instances = await compute.listInstances();

    expect(instances).toEqual([
      {
        instanceId: "i-0aaaaaaaaaaaaaaa1",
        launchId: "linux-arm-1",
        pool: "linux-arm",
        market: "spot",
        state: "running",
        launchedAt: "2026-11-23T10:00:00.000Z",
      },
      {
        instanceId: "i-0aaaaaaaaaaaaaaa2",
        launchId: "linux-arm-2",
        pool: "linux-arm",
        market: "spot",
        state: "shutting-down",
        launchedAt: "2026-11-23T10:00:00.000Z",
      },
    ]);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters).toContainEqual({
      Name: "tag:gitlab-runner-autoscaler:deployment",
      Values: ["ci-autoscaler"],
    });
  });

  /** DescribeInstances' answer: one reservation per instance, as fleets launch them. */
  const reservations = (...instances: ReturnType<typeof described>[]) => ({
    Reservations: instances.map((instance) => ({
      ReservationId: `r-${instance.InstanceId.slice(2)}`,
      OwnerId: "123456789012",
      Instances: [instance],
    })),
  });

  it("describes the ids with this deployment's tag, and terminates only those EC2 shows with it", async () => {
    // EC2 filters out what is not tagged for the deployment; the foreign id is not in its answer.
    ec2
      .on(DescribeInstancesCommand)
      .resolves(reservations(described("i-0aaaaaaaaaaaaaaa1", "running", "linux-arm-1")));
    ec2.on(TerminateInstancesCommand).resolves({});

    await compute.terminate(["i-0aaaaaaaaaaaaaaa1", "i-0fffffffffffffff9"]);

    const [describeCall] = ec2.commandCalls(DescribeInstancesCommand);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
    expect(describeCall!.args[0].input).toMatchObject({
      Filters: [
        { Name: "instance-id", Values: ["i-0aaaaaaaaaaaaaaa1", "i-0fffffffffffffff9"] },
        { Name: "tag:gitlab-runner-autoscaler:deployment", Values: ["ci-autoscaler"] },
      ],
    });
    expect(
      ec2.commandCalls(TerminateInstancesCommand).map((call) => call.args[0].input.InstanceIds),
    ).toEqual([["i-0aaaaaaaaaaaaaaa1"]]);
    expect(refusals).toEqual([
      { instanceIds: ["i-0fffffffffffffff9"], reason: expect.stringContaining("ci-autoscaler") },
    ]);
  });

  it("refuses an instance of another deployment even when the answer includes it", async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves(
        reservations(described("i-0fffffffffffffff9", "running", "linux-arm-1", "ci-staging")),
      );

    await compute.terminate(["i-0fffffffffffffff9"]);

    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    expect(refusals.map((refusal) => refusal.instanceIds)).toEqual([["i-0fffffffffffffff9"]]);
  });

  it("leaves instances already on their way out alone, without a refusal", async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves(
        reservations(
          described("i-0aaaaaaaaaaaaaaa1", "terminated", "linux-arm-1"),
          described("i-0aaaaaaaaaaaaaaa2", "shutting-down", "linux-arm-2"),
        ),
      );

    await compute.terminate(["i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2"]);

    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    expect(refusals).toEqual([]);
  });

  it("terminates nothing when it may not describe instances, and says why", async () => {
    ec2.on(DescribeInstancesCommand).rejects(
      new EC2ServiceException({
        name: "UnauthorizedOperation",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
        message: "You are not authorized to perform this operation.",
      }),
    );

    await compute.terminate(["i-0aaaaaaaaaaaaaaa1"]);

    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    expect(refusals).toEqual([
      {
        instanceIds: ["i-0aaaaaaaaaaaaaaa1"],
        reason: expect.stringContaining("DescribeInstances was denied"),
      },
    ]);
  });

  it("terminates in one call, and one by one when an id is already unknown", async () => {
    const notFound = new EC2ServiceException({
      name: "InvalidInstanceID.NotFound",
      $fault: "client",
      $metadata: { httpStatusCode: 400 },
      message: "The instance ID 'i-0bbbbbbbbbbbbbbb2' does not exist",
    });
    ec2
      .on(DescribeInstancesCommand)
      .resolves(
        reservations(
          described("i-0bbbbbbbbbbbbbbb1", "running", "linux-arm-1"),
          described("i-0bbbbbbbbbbbbbbb2", "running", "linux-arm-2"),
        ),
      );
    ec2
      .on(TerminateInstancesCommand)
      .rejectsOnce(notFound)
      .resolvesOnce({ TerminatingInstances: [{ InstanceId: "i-0bbbbbbbbbbbbbbb1" }] })
      .rejectsOnce(notFound);

    await compute.terminate(["i-0bbbbbbbbbbbbbbb1", "i-0bbbbbbbbbbbbbbb2"]);

    expect(
      ec2.commandCalls(TerminateInstancesCommand).map((call) => call.args[0].input.InstanceIds),
    ).toEqual([
      ["i-0bbbbbbbbbbbbbbb1", "i-0bbbbbbbbbbbbbbb2"],
      ["i-0bbbbbbbbbbbbbbb1"],
      ["i-0bbbbbbbbbbbbbbb2"],
    ]);
  });

  it("passes on a refusal to terminate", async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves(reservations(described("i-0ccccccccccccccc1", "running", "linux-arm-1")));
    ec2.on(TerminateInstancesCommand).rejects(
      new EC2ServiceException({
        name: "UnauthorizedOperation",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
        message: "not authorized",
      }),
    );

    await expect(compute.terminate(["i-0ccccccccccccccc1"])).rejects.toThrow("not authorized");
  });
});
