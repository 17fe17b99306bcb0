import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  paginateQuery,
  paginateScan,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { type JobEvent, OPTIONAL_JOB_EVENT_FIELDS } from "../../jobs/job-event";
import {
  applyJobEvent,
  type JobAnnotations,
  type JobEventOutcome,
  type JobRecord,
  RETRY_CLAIM_SECONDS,
  type RetrySettlement,
  recordFieldsFor,
} from "../../jobs/job-record";
import { isFinished, type JobStatus, statusRank } from "../../jobs/job-status";
import {
  LOOKAHEAD_STATUSES,
  PIPELINE_HALT_RETENTION_SECONDS,
  type PipelineDemand,
  type PipelineHalt,
  type PipelineRetry,
} from "../../jobs/pipeline-halt";
import {
  PROJECT_ACTIVITY_REFRESH_SECONDS,
  PROJECT_ACTIVITY_WINDOW_SECONDS,
  type ProjectActivity,
  RecentlyNotedProjects,
} from "../../jobs/project-activity";
import type { DemandStore } from "../../ports/demand-store";
import {
  ACTIVE_PROJECTS_PARTITION,
  ItemKind,
  jobKey,
  jobsByStatusPartition,
  jobsByStatusSort,
  PIPELINE_HALTS_PARTITION,
  pipelineHaltsSort,
  pipelineKey,
  projectKey,
  RETRIES_DUE_PARTITION,
} from "./keys";
import { TABLE_KEYS } from "./table";
import { buildUpdate } from "./update-expression";

const STORAGE_ATTRIBUTES = new Set(["pk", "sk", "kind", "gsi1pk", "gsi1sk"]);

const toJobRecord = (item: Record<string, unknown>): JobRecord =>
  Object.fromEntries(
    Object.entries(item).filter(([key]) => !STORAGE_ATTRIBUTES.has(key)),
  ) as unknown as JobRecord;

/** Readonly arrays become plain ones (lists) for the document client. */
const storableAnnotations = (annotations: JobAnnotations) => ({
  ...annotations,
  tags: annotations.tags && [...annotations.tags],
  groupIds: annotations.groupIds && [...annotations.groupIds],
});

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

type Item = Record<string, unknown>;

/**
 * Each job once, as its furthest status: the index is read eventually consistent, so a job that
 * just moved (created → pending) may be listed under both statuses for a moment.
 */
const latestOfEach = (jobs: readonly JobRecord[]): JobRecord[] => {
  const furthest = new Map<number, JobRecord>();
  for (const job of jobs) {
    const seen = furthest.get(job.jobId);
    if (!seen || statusRank(job.status) > statusRank(seen.status)) furthest.set(job.jobId, job);
  }
  return jobs.filter((job) => furthest.get(job.jobId) === job);
};

const toPipelineHalt = (item: Item): PipelineHalt => ({
  pipelineId: item.pipelineId as number,
  projectId: item.projectId as number,
  jobId: item.jobId as number,
  ...(item.name !== undefined && { name: item.name as string }),
  ...(item.stage !== undefined && { stage: item.stage as string }),
  haltedAt: item.haltedAt as string,
});

/** The index's order across its partitions: by sort key (the time, then the padded id). */
const bySortKey = (a: Item, b: Item) => {
  const [x, y] = [a[TABLE_KEYS.gsi1.sortKey] as string, b[TABLE_KEYS.gsi1.sortKey] as string];
  return x === y ? 0 : x < y ? -1 : 1;
};

/** What a query of one index partition may add to its key and TTL conditions. */
interface IndexQuery {
  /** Only sort keys at or after this one (an ISO 8601 instant sorts before its own keys). */
  readonly since?: string;
  /** Only items that have this attribute. */
  readonly having?: string;
}

/**
 * DemandStore on DynamoDB: the state rule becomes one conditional UpdateItem per event. An update
 * (not a put) leaves attributes the scaler adds to a job alone; the event's own fields it lacks
 * are removed, as applyJobEvent does.
 */
export class DynamoDemandStore implements DemandStore {
  private readonly recentlyNoted = new RecentlyNotedProjects();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async recordJobEvent(
    event: JobEvent,
    receivedAt: Date,
    annotations: JobAnnotations = {},
  ): Promise<JobEventOutcome> {
    const fields = recordFieldsFor(event, receivedAt);
    const indexed = !isFinished(event.status);
    const update = buildUpdate(
      {
        ...storableAnnotations(annotations),
        ...fields,
        kind: ItemKind.Job,
        gsi1pk: indexed ? jobsByStatusPartition(event.status) : undefined,
        gsi1sk: indexed
          ? jobsByStatusSort(event.createdAt ?? fields.updatedAt, event.jobId)
          : undefined,
      },
      [
        ...OPTIONAL_JOB_EVENT_FIELDS.filter((field) => event[field] === undefined),
        ...(indexed ? [] : ["gsi1pk", "gsi1sk"]),
      ],
    );
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(event.jobId),
          ...update,
          // Only a forward move writes: duplicates and late events fail the condition atomically.
          ConditionExpression: "attribute_not_exists(#pk) OR #statusRank < :statusRank",
          ExpressionAttributeNames: {
            ...update.ExpressionAttributeNames,
            "#pk": TABLE_KEYS.partitionKey,
          },
          ReturnValues: "ALL_OLD",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      const previous = result.Attributes ? toJobRecord(result.Attributes) : undefined;
      return applyJobEvent(previous, event, receivedAt, annotations);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException && error.Item) {
        return { kind: "unchanged", currentStatus: unmarshall(error.Item).status as JobStatus };
      }
      throw error;
    }
  }

  async noteProjectActivity(projectId: number, at: Date): Promise<void> {
    if (this.recentlyNoted.isFresh(projectId, at)) return;
    const lastJobEventAt = at.toISOString();
    const update = buildUpdate(
      {
        kind: ItemKind.Project,
        projectId,
        lastJobEventAt,
        gsi1pk: ACTIVE_PROJECTS_PARTITION,
        gsi1sk: lastJobEventAt,
        expiresAt: epochSeconds(at) + PROJECT_ACTIVITY_WINDOW_SECONDS,
      },
      [],
      {
        ":refreshBefore": new Date(
          at.getTime() - PROJECT_ACTIVITY_REFRESH_SECONDS * 1000,
        ).toISOString(),
      },
    );
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: projectKey(projectId),
          ...update,
          ConditionExpression: "attribute_not_exists(#pk) OR #lastJobEventAt < :refreshBefore",
          ExpressionAttributeNames: {
            ...update.ExpressionAttributeNames,
            "#pk": TABLE_KEYS.partitionKey,
          },
        }),
      );
    } catch (error) {
      // Another process refreshed it less than a minute ago: nothing to do.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    this.recentlyNoted.remember(projectId, at);
  }

  async listJobs(now: Date): Promise<JobRecord[]> {
    const jobs: JobRecord[] = [];
    const pages = paginateScan(
      { client: this.client },
      {
        TableName: this.tableName,
        // TTL deletes lazily (up to days later), so expired items are filtered out here.
        FilterExpression: "#kind = :job AND #expiresAt > :now",
        ExpressionAttributeNames: { "#kind": "kind", "#expiresAt": TABLE_KEYS.ttlAttribute },
        ExpressionAttributeValues: { ":job": ItemKind.Job, ":now": epochSeconds(now) },
      },
    );
    for await (const page of pages) jobs.push(...(page.Items ?? []).map(toJobRecord));
    return jobs;
  }

  async listPendingJobs(now: Date): Promise<JobRecord[]> {
    return this.listIndexPartition(jobsByStatusPartition("pending"), now);
  }

  /** One partition of the index, in its sort order, without expired items. */
  private async listIndexPartition(partition: string, now: Date): Promise<JobRecord[]> {
    return (await this.queryIndex(partition, now)).map(toJobRecord);
  }

  /** The items of one index partition, in its sort order, without expired ones. */
  private async queryIndex(partition: string, now: Date, query: IndexQuery = {}): Promise<Item[]> {
    const items: Item[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        IndexName: TABLE_KEYS.gsi1.name,
        KeyConditionExpression:
          query.since === undefined ? "#pk = :partition" : "#pk = :partition AND #sk >= :since",
        // TTL deletes lazily (up to days later), so expired items are filtered out here.
        FilterExpression:
          query.having === undefined
            ? "#expiresAt > :now"
            : "#expiresAt > :now AND attribute_exists(#having)",
        ExpressionAttributeNames: {
          "#pk": TABLE_KEYS.gsi1.partitionKey,
          "#expiresAt": TABLE_KEYS.ttlAttribute,
          ...(query.since !== undefined && { "#sk": TABLE_KEYS.gsi1.sortKey }),
          ...(query.having !== undefined && { "#having": query.having }),
        },
        ExpressionAttributeValues: {
          ":partition": partition,
          ":now": epochSeconds(now),
          ...(query.since !== undefined && { ":since": query.since }),
        },
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items;
  }

  async listPipelineDemand(now: Date, since: Date): Promise<PipelineDemand> {
    const from = since.toISOString();
    // One query per status, all at once: each reads only the jobs created since `from`.
    const [byStatus, halts] = await Promise.all([
      Promise.all(
        LOOKAHEAD_STATUSES.map((status) =>
          this.queryIndex(jobsByStatusPartition(status), now, {
            since: from,
            having: "pipelineId",
          }),
        ),
      ),
      this.queryIndex(PIPELINE_HALTS_PARTITION, now, { since: from }),
    ]);
    return {
      jobs: latestOfEach(byStatus.flat().sort(bySortKey).map(toJobRecord)),
      halts: halts.map(toPipelineHalt),
    };
  }

  async notePipelineHalt(halt: PipelineHalt): Promise<void> {
    // An update that sets every attribute (and removes the optional ones the halt lacks) is the
    // put of a whole item, with the webhook's one write permission.
    const update = buildUpdate(
      {
        kind: ItemKind.Pipeline,
        pipelineId: halt.pipelineId,
        projectId: halt.projectId,
        jobId: halt.jobId,
        name: halt.name,
        stage: halt.stage,
        haltedAt: halt.haltedAt,
        gsi1pk: PIPELINE_HALTS_PARTITION,
        gsi1sk: pipelineHaltsSort(halt.haltedAt, halt.pipelineId),
        expiresAt: epochSeconds(new Date(halt.haltedAt)) + PIPELINE_HALT_RETENTION_SECONDS,
      },
      (["name", "stage"] as const).filter((field) => halt[field] === undefined),
    );
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: pipelineKey(halt.pipelineId),
          ...update,
          // A later halt of the pipeline (a retry that failed too) stays.
          ConditionExpression: "attribute_not_exists(#pk) OR #haltedAt <= :haltedAt",
          ExpressionAttributeNames: {
            ...update.ExpressionAttributeNames,
            "#pk": TABLE_KEYS.partitionKey,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async liftPipelineHalt(retry: PipelineRetry): Promise<void> {
    // Out of the halts' index: the item stays, so that a halt older than it, late, stays out too.
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: pipelineKey(retry.pipelineId),
          UpdateExpression: "REMOVE #gsi1pk, #gsi1sk",
          ConditionExpression: "#jobId < :jobId AND #name = :name AND #stage = :stage",
          ExpressionAttributeNames: {
            "#gsi1pk": TABLE_KEYS.gsi1.partitionKey,
            "#gsi1sk": TABLE_KEYS.gsi1.sortKey,
            "#jobId": "jobId",
            "#name": "name",
            "#stage": "stage",
          },
          ExpressionAttributeValues: {
            ":jobId": retry.jobId,
            ":name": retry.name,
            ":stage": retry.stage,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async annotateJob(jobId: number, annotations: JobAnnotations): Promise<void> {
    const update = buildUpdate(storableAnnotations(annotations));
    if (!update.UpdateExpression) return;
    await this.updateIfRecorded(jobId, update, "attribute_exists(#pk)");
  }

  async claimJobRetry(jobId: number, now: Date): Promise<boolean> {
    const at = now.toISOString();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(jobId),
          // The first claim files the job under the retries owed, where it stays until settled.
          UpdateExpression:
            "SET #claimedAt = :at, #dueSince = if_not_exists(#dueSince, :at), " +
            "#gsi1pk = :retriesDue, #gsi1sk = if_not_exists(#gsi1sk, :sort)",
          ConditionExpression:
            "#status = :failed AND attribute_not_exists(#retriedAs) AND " +
            "attribute_not_exists(#retryRefused) AND " +
            "(attribute_not_exists(#claimedAt) OR #claimedAt < :expiredBefore)",
          ExpressionAttributeNames: {
            "#status": "status",
            "#claimedAt": "retryClaimedAt",
            "#dueSince": "retryDueSince",
            "#retriedAs": "retriedAs",
            "#retryRefused": "retryRefused",
            "#gsi1pk": TABLE_KEYS.gsi1.partitionKey,
            "#gsi1sk": TABLE_KEYS.gsi1.sortKey,
          },
          ExpressionAttributeValues: {
            ":at": at,
            ":failed": "failed",
            ":retriesDue": RETRIES_DUE_PARTITION,
            ":sort": jobsByStatusSort(at, jobId),
            ":expiredBefore": new Date(now.getTime() - RETRY_CLAIM_SECONDS * 1000).toISOString(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async settleJobRetry(jobId: number, settlement: RetrySettlement): Promise<void> {
    const update = buildUpdate(settlement, [
      "retryDueSince",
      "retryClaimedAt",
      TABLE_KEYS.gsi1.partitionKey,
      TABLE_KEYS.gsi1.sortKey,
    ]);
    await this.updateIfRecorded(jobId, update, "attribute_exists(#pk)");
  }

  async listRetriesDue(now: Date): Promise<JobRecord[]> {
    return this.listIndexPartition(RETRIES_DUE_PARTITION, now);
  }

  /** Conditional update of an existing job; false when the condition did not hold. */
  private async updateIfRecorded(
    jobId: number,
    update: ReturnType<typeof buildUpdate>,
    condition: string,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(jobId),
          ...update,
          ConditionExpression: condition,
          ExpressionAttributeNames: {
            ...update.ExpressionAttributeNames,
            "#pk": TABLE_KEYS.partitionKey,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async listActiveProjects(since: Date): Promise<ProjectActivity[]> {
    const projects: ProjectActivity[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        IndexName: TABLE_KEYS.gsi1.name,
        KeyConditionExpression: "#pk = :projects AND #sk >= :since",
        ExpressionAttributeNames: {
          "#pk": TABLE_KEYS.gsi1.partitionKey,
          "#sk": TABLE_KEYS.gsi1.sortKey,
        },
        ExpressionAttributeValues: {
          ":projects": ACTIVE_PROJECTS_PARTITION,
          ":since": since.toISOString(),
        },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        projects.push({
          projectId: item.projectId as number,
          lastJobEventAt: item.lastJobEventAt as string,
        });
      }
    }
    return projects;
  }
}
