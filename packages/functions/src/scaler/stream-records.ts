import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { progressOfJob, reportsRunnerProgress } from "@ger/core";
import type { JobProgress } from "@ger/core/types";
import type { DynamoDBRecord } from "aws-lambda";

type Image = Record<string, AttributeValue>;

/** The runner progress that stream records carry (jobs a runner took or finished). */
export const progressFromRecords = (records: readonly DynamoDBRecord[]): JobProgress[] =>
  records.flatMap((record) => {
    const image = record.dynamodb?.NewImage as Image | undefined;
    if (!reportsRunnerProgress(image)) return [];
    const progress = progressOfJob(
      unmarshall(image as Image) as Parameters<typeof progressOfJob>[0],
    );
    return progress ? [progress] : [];
  });
