import type { PoolConfig, StageOutputs } from "@ger/core/types";

/**
 * What `doctor` asks of an AWS account: read-only facts, one dry run. The real adapter speaks the
 * AWS SDK (aws/sdk-account.ts); the in-memory one plays an account for the tests and the local
 * stack (memory-account.ts).
 */
export interface AwsAccount {
  /** Where the caller stands, for the report (the dry run runs with these credentials). */
  callerIdentity(): Promise<CallerIdentity>;
  /** The outputs a deploy of `stage` stored; undefined when the stage was never deployed here. */
  stageOutputs(stage: string): Promise<StageOutputs | undefined>;
  /** Undefined when there is no such table. */
  table(tableName: string): Promise<TableFacts | undefined>;
  /** A function's state (Active, Pending, Inactive, Failed); undefined when it does not exist. */
  functionState(functionName: string): Promise<string | undefined>;
  /**
   * Whether a secret holds a value yet (a version labelled AWSCURRENT: a secret the deploy created
   * empty has none); undefined when there is no such secret.
   */
  secretIsSet(secretId: string): Promise<boolean | undefined>;
  /** A secret's value (the GitLab token, the webhook secret), for the GitLab checks and `connect`. */
  readSecret(secretId: string): Promise<string>;
  /** CreateFleet with DryRun: would EC2 accept this launch from these credentials? */
  dryRunFleet(request: FleetDryRun): Promise<DryRunAnswer>;
  /** The subnets among `subnetIds` that exist, with where their default route goes. */
  subnets(subnetIds: readonly string[]): Promise<SubnetFacts[]>;
  /** The instance types among `types` that EC2 knows, with their vCPUs and architectures. */
  instanceTypes(types: readonly string[]): Promise<InstanceTypeFacts[]>;
  /** Which of `types` are offered in which of `zones`, as `type@zone`. */
  offerings(types: readonly string[], zones: readonly string[]): Promise<ReadonlySet<string>>;
  /** The pool's AMI, resolved through SSM when it names a parameter. */
  image(ami: PoolConfig["instance"]["ami"]): Promise<ImageAnswer>;
  /**
   * A Service Quotas value (EC2 vCPU quotas): the applied one, else AWS's default (a quota never
   * raised may have no applied value); undefined when neither is known by that code.
   */
  quota(serviceCode: string, quotaCode: string): Promise<number | undefined>;
  /** "forbidden": the name is taken by another account, or these credentials may not see it. */
  bucket(name: string): Promise<"exists" | "missing" | "forbidden">;
}

export type { StageOutputs };

export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
  readonly region: string;
}

export interface TableFacts {
  readonly status: string;
  readonly streamEnabled: boolean;
}

export interface FleetDryRun {
  readonly launchTemplateId: string;
  readonly version: string;
  readonly market: "spot" | "on-demand";
  /** Every type in every subnet, as the scaler's CreateFleet asks. */
  readonly overrides: readonly { instanceType: string; subnetId: string; imageId: string }[];
  /** The instance tags the scaler's launches carry: IAM conditions on them judge the dry run too. */
  readonly tags: readonly { Key: string; Value: string }[];
}

export type DryRunAnswer =
  | { readonly kind: "allowed" }
  /** UnauthorizedOperation; `reason` is the decoded message when the caller may decode it. */
  | { readonly kind: "denied"; readonly message: string; readonly reason?: string }
  /** Any other refusal (InvalidParameterValue, InvalidLaunchTemplateId.NotFound, ...). */
  | { readonly kind: "invalid"; readonly code: string; readonly message: string };

export interface SubnetFacts {
  readonly subnetId: string;
  readonly zone: string;
  readonly vpcId: string;
  readonly mapPublicIpOnLaunch: boolean;
  /**
   * Where 0.0.0.0/0 goes from the subnet's route table (its own, else the VPC's main one): an
   * internet gateway, a NAT gateway, something else (transit gateway, peering, an appliance's
   * interface: cannot be followed from here) or nowhere.
   */
  readonly defaultRoute:
    | { readonly kind: "internet-gateway" | "nat-gateway" | "other"; readonly target: string }
    | { readonly kind: "none" };
}

export interface InstanceTypeFacts {
  readonly instanceType: string;
  readonly vcpus: number;
  /** x86_64, arm64, ... */
  readonly architectures: readonly string[];
}

export type ImageAnswer =
  | {
      readonly kind: "found";
      readonly imageId: string;
      readonly architecture: string;
      readonly state: string;
    }
  | { readonly kind: "missing"; readonly reason: string };
