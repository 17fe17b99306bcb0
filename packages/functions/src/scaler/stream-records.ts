import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { reportsRunnerProgress } from "@ger/core";
import type { JobProgress } from "@ger/core/types";
import type { DynamoDBRecord } from "aws-lambda";

type Image = Record<string, AttributeValue>;

/** Created → running (the wait a user sees); GitLab's queued duration when a timestamp is missing. */
const waitOf = (job: Record<string, unknown>): { waitSeconds?: number } => {
  const created = Date.parse(String(job.createdAt));
  const started = Date.parse(String(job.startedAt));
  if (Number.isFinite(created) && Number.isFinite(started))
    return { waitSeconds: Math.max(0, (started - created) / 1000) };
  return typeof job.queuedDurationSeconds === "number"
    ? { waitSeconds: job.queuedDurationSeconds }
    : {};
};

/** The runner progress that stream records carry (jobs a runner took or finished). */
export const progressFromRecords = (records: readonly DynamoDBRecord[]): JobProgress[] =>
  records.flatMap((record) => {
    const image = record.dynamodb?.NewImage as Image | undefined;
    if (!reportsRunnerProgress(image)) return [];
    const job = unmarshall(image as Image);
    return [
      {
        jobId: Number(job.jobId),
        projectId: Number(job.projectId),
        status: job.status,
        runnerId: Number(job.runnerId),
        interrupted: job.interrupted === true,
        ...waitOf(job),
      },
    ];
  });
