import type { PoolConfig } from "@ger/core/types";
import type {
  AwsAccount,
  CallerIdentity,
  DryRunAnswer,
  FleetDryRun,
  ImageAnswer,
  InstanceTypeFacts,
  StageOutputs,
  SubnetFacts,
  TableFacts,
} from "./aws-account";

/** An AWS account as plain data: what the tests set up, and what the local stack simulates. */
export interface AccountModel {
  readonly identity: CallerIdentity;
  readonly stages?: Readonly<Record<string, StageOutputs>>;
  readonly tables?: Readonly<Record<string, TableFacts>>;
  readonly functions?: Readonly<Record<string, string>>;
  /** A secret's value; null for one created empty. */
  readonly secrets?: Readonly<Record<string, string | null>>;
  readonly subnets?: readonly SubnetFacts[];
  readonly instanceTypes?: readonly InstanceTypeFacts[];
  /** `type@zone`. */
  readonly offerings?: readonly string[];
  readonly images?: Readonly<Record<string, { architecture: string; state: string }>>;
  /** SSM parameter → AMI id. */
  readonly imageParameters?: Readonly<Record<string, string>>;
  /** `service/code` → value. */
  readonly quotas?: Readonly<Record<string, number>>;
  readonly buckets?: Readonly<Record<string, "exists" | "forbidden">>;
  /** How EC2 answers a dry run; default: allowed. */
  readonly dryRun?: (request: FleetDryRun) => DryRunAnswer;
}

export class InMemoryAwsAccount implements AwsAccount {
  /** Every dry run asked for, for tests. */
  readonly dryRuns: FleetDryRun[] = [];

  constructor(private readonly model: AccountModel) {}

  async callerIdentity() {
    return this.model.identity;
  }

  async stageOutputs(stage: string) {
    return this.model.stages?.[stage];
  }

  async table(tableName: string) {
    return this.model.tables?.[tableName];
  }

  async functionState(functionName: string) {
    return this.model.functions?.[functionName];
  }

  async secretIsSet(secretId: string) {
    const secrets = this.model.secrets ?? {};
    return Object.hasOwn(secrets, secretId) ? secrets[secretId] !== null : undefined;
  }

  async readSecret(secretId: string) {
    const value = this.model.secrets?.[secretId];
    if (value === undefined || value === null)
      throw Object.assign(new Error(`Secrets Manager can't find the specified secret value`), {
        name: "ResourceNotFoundException",
      });
    return value;
  }

  async dryRunFleet(request: FleetDryRun): Promise<DryRunAnswer> {
    this.dryRuns.push(request);
    return this.model.dryRun?.(request) ?? { kind: "allowed" };
  }

  async subnets(subnetIds: readonly string[]) {
    return (this.model.subnets ?? []).filter((subnet) => subnetIds.includes(subnet.subnetId));
  }

  async instanceTypes(types: readonly string[]) {
    return (this.model.instanceTypes ?? []).filter((type) => types.includes(type.instanceType));
  }

  async offerings(types: readonly string[], zones: readonly string[]) {
    return new Set(
      (this.model.offerings ?? []).filter((offering) => {
        const [type = "", zone = ""] = offering.split("@");
        return types.includes(type) && zones.includes(zone);
      }),
    );
  }

  async image(ami: PoolConfig["instance"]["ami"]): Promise<ImageAnswer> {
    const imageId = ami.id ?? this.model.imageParameters?.[ami.ssm_parameter ?? ""];
    if (!imageId) return { kind: "missing", reason: `no SSM parameter ${ami.ssm_parameter}` };
    const image = this.model.images?.[imageId];
    return image
      ? { kind: "found", imageId, ...image }
      : { kind: "missing", reason: `no image ${imageId}` };
  }

  async quota(serviceCode: string, quotaCode: string) {
    return this.model.quotas?.[`${serviceCode}/${quotaCode}`];
  }

  async bucket(name: string) {
    return this.model.buckets?.[name] ?? "missing";
  }
}
