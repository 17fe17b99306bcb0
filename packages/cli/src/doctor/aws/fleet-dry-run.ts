import {
  type _InstanceType,
  CreateFleetCommand,
  type CreateFleetCommandInput,
  type CreateFleetCommandOutput,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import type { STSClient } from "@aws-sdk/client-sts";
import type { DryRunAnswer, FleetDryRun } from "../aws-account";
import { authorizationReason } from "./authorization-reason";
import { errorCode } from "./sdk-calls";

/** The scaler's CreateFleet (fleet-compute.ts) for one instance in `market`, as a dry run. */
export const fleetDryRunInput = (request: FleetDryRun): CreateFleetCommandInput => ({
  Type: "instant",
  DryRun: true,
  TargetCapacitySpecification: {
    TotalTargetCapacity: 1,
    DefaultTargetCapacityType: request.market,
    ...(request.market === "spot" ? { SpotTargetCapacity: 1 } : { OnDemandTargetCapacity: 1 }),
  },
  ...(request.market === "spot"
    ? { SpotOptions: { AllocationStrategy: "price-capacity-optimized" } }
    : { OnDemandOptions: { AllocationStrategy: "lowest-price" } }),
  LaunchTemplateConfigs: [
    {
      LaunchTemplateSpecification: {
        LaunchTemplateId: request.launchTemplateId,
        Version: request.version,
      },
      Overrides: request.overrides.map((override) => ({
        InstanceType: override.instanceType as _InstanceType,
        SubnetId: override.subnetId,
        ImageId: override.imageId,
      })),
    },
  ],
  TagSpecifications: [
    { ResourceType: "instance", Tags: [...request.tags] },
    { ResourceType: "volume", Tags: [...request.tags] },
  ],
});

/** EC2's answer to the dry run, as one error code and its message. */
const answer = async (sts: STSClient, code: string, message: string): Promise<DryRunAnswer> => {
  if (code === "DryRunOperation") return { kind: "allowed" };
  if (code !== "UnauthorizedOperation") return { kind: "invalid", code, message };
  const reason = await authorizationReason(sts, message);
  return reason === undefined ? { kind: "denied", message } : { kind: "denied", message, reason };
};

/**
 * An instant fleet reports per-override failures in the response's Errors: a denial there
 * outweighs the rest, one permitted override is enough to launch, else the first error stands.
 * Throttling can arrive there too, instead of as a thrown error; it says nothing of the request.
 */
const errorOfResponse = (fleet: CreateFleetCommandOutput) => {
  const errors = fleet.Errors ?? [];
  const error =
    errors.find((candidate) => candidate.ErrorCode === "UnauthorizedOperation") ??
    errors.find((candidate) => candidate.ErrorCode === "DryRunOperation") ??
    errors[0];
  if (error?.ErrorCode === "RequestLimitExceeded")
    throw new Error(`CreateFleet was throttled: ${error.ErrorMessage ?? "RequestLimitExceeded"}`);
  if (error) return { code: error.ErrorCode ?? "Unknown", message: error.ErrorMessage ?? "" };
  const launched = (fleet.Instances ?? []).flatMap((group) => group.InstanceIds ?? []);
  throw new Error(
    `CreateFleet answered the dry run without an error (the endpoint ignored DryRun)${
      launched.length > 0 ? `, and launched ${launched.join(", ")}: terminate them` : ""
    }`,
  );
};

/**
 * Would EC2 accept the scaler's launch from these credentials? EC2 answers a dry run with an
 * error: DryRunOperation when it would have launched, UnauthorizedOperation when IAM refuses
 * (decoded through STS when the caller may), another client error when the request is wrong.
 * Throttling and server errors are no answer and propagate.
 */
export const dryRunFleet = async (
  clients: { readonly ec2: EC2Client; readonly sts: STSClient },
  request: FleetDryRun,
): Promise<DryRunAnswer> => {
  let fleet: CreateFleetCommandOutput;
  try {
    fleet = await clients.ec2.send(new CreateFleetCommand(fleetDryRunInput(request)));
  } catch (error) {
    if ((error as { $fault?: string }).$fault !== "client") throw error;
    return answer(clients.sts, errorCode(error) ?? "Unknown", (error as Error).message);
  }
  const { code, message } = errorOfResponse(fleet);
  return answer(clients.sts, code, message);
};
