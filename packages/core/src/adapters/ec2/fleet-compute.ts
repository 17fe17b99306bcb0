import {
  CreateFleetCommand,
  type CreateFleetCommandInput,
  type CreateFleetCommandOutput,
  type EC2Client,
  paginateDescribeInstances,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import * as v from "valibot";
import type { PoolConfig } from "../../pools/autoscaler-config";
import type {
  Compute,
  ComputeInstance,
  InstanceState,
  LaunchedInstance,
  LaunchRequest,
  LaunchResult,
} from "../../ports/compute";
import { marketOrder } from "../../runners/market-order";
import type { Market } from "../../runners/runner-record";
import { classifyLaunchError, type LaunchErrorKind } from "./launch-errors";
import { instanceTags, TAG_KEYS, tagValue } from "./tags";

export interface LaunchTemplateRef {
  readonly launchTemplateId: string;
  readonly version: string;
}

export interface FleetComputeOptions {
  readonly deployment: string;
  /** The config's cost allocation tags (`tags`), beside each pool's own (`instance.tags`). */
  readonly tags?: Readonly<Record<string, string>>;
  /** One launch template per pool (it carries the pool's user-data, profile, security group, IMDSv2). */
  readonly launchTemplates: Readonly<Record<string, LaunchTemplateRef>>;
  /** Told of the instances `terminate` left alone, and why. Default: a warning on stderr. */
  readonly onRefusedTermination?: (instanceIds: readonly string[], reason: string) => void;
}

/** Ids per DescribeInstances filter and per TerminateInstances call (EC2 bounds both). */
const ID_BATCH = 200;
/** States in which an instance is already on its way out: terminating it again does nothing. */
const ENDING_STATES = new Set(["shutting-down", "terminated"]);

const warnRefusedTermination = (instanceIds: readonly string[], reason: string) =>
  console.warn(
    JSON.stringify({
      level: "WARN",
      message: "refused to terminate instances",
      instanceIds,
      reason,
    }),
  );

const imageId = (pool: PoolConfig): string =>
  pool.instance.ami.id ?? `resolve:ssm:${pool.instance.ami.ssm_parameter}`;

/** One market's answer: instances (and why the rest were not made), or why none were. */
type MarketLaunch =
  | {
      readonly kind: "launched";
      readonly instances: readonly LaunchedInstance[];
      readonly shortfall: readonly string[];
    }
  | Exclude<LaunchResult, { kind: "launched" }>;

/** The launch errors that end a launch (all but capacity), most telling first. */
const FAILURE_PRECEDENCE = ["denied", "quota", "other"] as const;

/** A launch error that no other type, subnet or market can get around. */
const failure = (
  kind: Exclude<LaunchErrorKind, "capacity">,
  code: string,
  message: string,
): Extract<LaunchResult, { kind: "quota_exceeded" | "failed" }> =>
  kind === "quota" ? { kind: "quota_exceeded", code, message } : { kind: "failed", code, message };

/**
 * Compute on EC2 with CreateFleet (type instant): one call launches all of a pass's new instances
 * of a pool (one token of EC2's mutating-request bucket for any number), tries every instance type
 * in every subnet, and says per override why it failed. The client token is derived from the
 * launch id, so a repeated launch after a crash returns the same instances instead of more.
 */
export class Ec2FleetCompute implements Compute {
  constructor(
    private readonly client: EC2Client,
    private readonly options: FleetComputeOptions,
  ) {}

  async launch(request: LaunchRequest): Promise<LaunchResult> {
    const { pool } = request;
    const template = this.options.launchTemplates[pool.name];
    if (!template)
      return {
        kind: "failed",
        code: "NoLaunchTemplate",
        message: `no launch template for pool ${pool.name}`,
      };
    const capacityErrors: string[] = [];
    const instances: LaunchedInstance[] = [];
    // What one market could not fill, the next is asked for; each market's call is its own replay.
    for (const market of marketOrder(pool, request.onDemand)) {
      const wanted = request.count - instances.length;
      if (wanted <= 0) break;
      const result = await this.launchIn(market, wanted, request, template);
      if (result.kind === "launched") {
        instances.push(...result.instances);
        capacityErrors.push(...result.shortfall);
        continue;
      }
      if (result.kind !== "no_capacity") {
        // Instances one market gave are kept; a later market's refusal ends the launch there.
        return instances.length > 0 ? { kind: "launched", instances } : result;
      }
      capacityErrors.push(...result.errors);
    }
    return instances.length > 0
      ? { kind: "launched", instances }
      : { kind: "no_capacity", errors: capacityErrors };
  }

  async listInstances(): Promise<ComputeInstance[]> {
    const instances: ComputeInstance[] = [];
    const pages = paginateDescribeInstances(
      { client: this.client, pageSize: 500 },
      {
        Filters: [
          { Name: `tag:${TAG_KEYS.deployment}`, Values: [this.options.deployment] },
          {
            Name: "instance-state-name",
            Values: ["pending", "running", "stopping", "stopped", "shutting-down"],
          },
        ],
      },
    );
    for await (const page of pages) {
      for (const instance of (page.Reservations ?? []).flatMap(
        (reservation) => reservation.Instances ?? [],
      )) {
        const tag = (key: string) => tagValue(instance.Tags, key) ?? "";
        instances.push({
          instanceId: instance.InstanceId ?? "",
          launchId: tag(TAG_KEYS.launch),
          market: instance.InstanceLifecycle === "spot" ? "spot" : "on-demand",
          pool: tag(TAG_KEYS.pool),
          state: (instance.State?.Name ?? "pending") as InstanceState,
          launchedAt: (instance.LaunchTime ?? new Date(0)).toISOString(),
        });
      }
    }
    return instances;
  }

  /**
   * Terminates only the instances EC2 shows with this deployment's tag: an id from a tampered or
   * mistaken record must not end anyone else's instance. In AWS, IAM also conditions
   * TerminateInstances on the tag; the local stack with real edges runs on the operator's own
   * credentials, which usually do not.
   */
  async terminate(instanceIds: readonly string[]): Promise<void> {
    for (let start = 0; start < instanceIds.length; start += ID_BATCH) {
      const batch = instanceIds.slice(start, start + ID_BATCH);
      const ours = await this.describeOurs(batch);
      if (!ours) continue;
      const refused = batch.filter((instanceId) => !ours.has(instanceId));
      if (refused.length > 0)
        this.refuse(
          refused,
          `EC2 shows no instance with these ids tagged ${TAG_KEYS.deployment}=${this.options.deployment}`,
        );
      const live = [...ours].filter(([, state]) => !ENDING_STATES.has(state)).map(([id]) => id);
      if (live.length > 0) await this.terminateOurs(live);
    }
  }

  /**
   * The states of those of `instanceIds` that carry this deployment's tag, from one call with the
   * ids as a filter (as InstanceIds, one unknown id would fail the whole call). Undefined, every
   * id refused, when the caller may not describe instances: then nothing can be checked.
   */
  private async describeOurs(instanceIds: string[]): Promise<Map<string, string> | undefined> {
    const ours = new Map<string, string>();
    const pages = paginateDescribeInstances(
      { client: this.client, pageSize: ID_BATCH },
      {
        Filters: [
          { Name: "instance-id", Values: instanceIds },
          { Name: `tag:${TAG_KEYS.deployment}`, Values: [this.options.deployment] },
        ],
      },
    );
    try {
      for await (const page of pages) {
        for (const instance of (page.Reservations ?? []).flatMap(
          (reservation) => reservation.Instances ?? [],
        )) {
          // Checked again here: an EC2-compatible endpoint may ignore a filter.
          const tagged = tagValue(instance.Tags, TAG_KEYS.deployment) === this.options.deployment;
          if (tagged && instance.InstanceId && instanceIds.includes(instance.InstanceId))
            ours.set(instance.InstanceId, instance.State?.Name ?? "pending");
        }
      }
    } catch (error) {
      if ((error as { name?: string }).name !== "UnauthorizedOperation") throw error;
      this.refuse(instanceIds, "DescribeInstances was denied, so the deployment tag is unchecked");
      return undefined;
    }
    return ours;
  }

  private refuse(instanceIds: readonly string[], reason: string) {
    (this.options.onRefusedTermination ?? warnRefusedTermination)(instanceIds, reason);
  }

  /** TerminateInstances fails whole when one id is unknown (gone meanwhile); then each alone. */
  private async terminateOurs(instanceIds: string[]): Promise<void> {
    try {
      await this.client.send(new TerminateInstancesCommand({ InstanceIds: instanceIds }));
    } catch (error) {
      if ((error as { name?: string }).name !== "InvalidInstanceID.NotFound") throw error;
      for (const instanceId of instanceIds) await this.terminateOne(instanceId);
    }
  }

  private async terminateOne(instanceId: string): Promise<void> {
    try {
      await this.client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    } catch (error) {
      if ((error as { name?: string }).name !== "InvalidInstanceID.NotFound") throw error;
    }
  }

  private async launchIn(
    market: Market,
    count: number,
    { launchId, pool, waitTimeoutSeconds }: LaunchRequest,
    template: LaunchTemplateRef,
  ): Promise<MarketLaunch> {
    const operatorTags = Object.entries({ ...this.options.tags, ...pool.instance.tags }).map(
      ([Key, Value]) => ({ Key, Value }),
    );
    const tags = [...instanceTags(this.options.deployment, pool.name, launchId), ...operatorTags];
    const input: CreateFleetCommandInput = {
      Type: "instant",
      // ≤ 64 ASCII characters; one per market, so the on-demand fallback is not mistaken for a replay.
      ClientToken: `${launchId}-${market}`.slice(0, 64),
      TargetCapacitySpecification: {
        TotalTargetCapacity: count,
        DefaultTargetCapacityType: market,
        ...(market === "spot" ? { SpotTargetCapacity: count } : { OnDemandTargetCapacity: count }),
      },
      ...(market === "spot"
        ? { SpotOptions: { AllocationStrategy: "price-capacity-optimized" } }
        : { OnDemandOptions: { AllocationStrategy: "lowest-price" } }),
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: {
            LaunchTemplateId: template.launchTemplateId,
            Version: template.version,
          },
          Overrides: pool.instance.types.flatMap((instanceType) =>
            pool.instance.subnets.map((subnetId) => ({
              InstanceType: instanceType as never,
              SubnetId: subnetId,
              ImageId: imageId(pool),
            })),
          ),
        },
      ],
      TagSpecifications: [
        {
          ResourceType: "instance",
          Tags: [...tags, { Key: TAG_KEYS.waitTimeout, Value: String(waitTimeoutSeconds) }],
        },
        { ResourceType: "volume", Tags: tags },
        // The fleet itself, so a bill split by tag counts it too (instant fleets take their tags here).
        { ResourceType: "fleet", Tags: tags.filter((tag) => tag.Key !== TAG_KEYS.launch) },
      ],
    };
    let fleet: CreateFleetCommandOutput;
    try {
      // The SDK retries RequestLimitExceeded with backoff (throttling errors are retryable).
      fleet = await this.client.send(new CreateFleetCommand(input));
    } catch (error) {
      const code = (error as { name?: string }).name ?? "Unknown";
      const kind = classifyLaunchError(code);
      if (kind === "capacity") return { kind: "no_capacity", errors: [code] };
      return failure(kind, code, (error as Error).message);
    }
    const instances = (fleet.Instances ?? [])
      .flatMap((group) =>
        (group.InstanceIds ?? []).map((instanceId) => ({
          instanceId,
          instanceType: group.InstanceType ?? "unknown",
          market: (group.Lifecycle === "spot" ? "spot" : "on-demand") as Market,
        })),
      )
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId))
      .slice(0, count);
    const errors = fleet.Errors ?? [];
    if (instances.length > 0)
      return {
        kind: "launched",
        instances,
        shortfall: errors.map((error) => error.ErrorCode ?? "Unknown"),
      };
    // A denial explains the other overrides' failures too, so it is reported first.
    for (const kind of FAILURE_PRECEDENCE) {
      const error = errors.find((candidate) => classifyLaunchError(candidate.ErrorCode) === kind);
      if (error) return failure(kind, error.ErrorCode ?? "Unknown", error.ErrorMessage ?? "");
    }
    return { kind: "no_capacity", errors: errors.map((error) => error.ErrorCode ?? "Unknown") };
  }
}

/** LAUNCH_TEMPLATES as infra/ writes it: {"<pool>": {"launchTemplateId": "lt-…", "version": "…"}}. */
export const launchTemplatesSetting = v.pipe(
  v.string(),
  v.parseJson(undefined, "must be JSON"),
  v.record(
    v.string(),
    v.object({ launchTemplateId: v.pipe(v.string(), v.startsWith("lt-")), version: v.string() }),
  ),
);
