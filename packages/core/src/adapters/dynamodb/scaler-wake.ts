import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { ItemKind } from "./keys";

/**
 * The webhook does not call the scaler: the table's stream does. A stream record exists only when
 * an item really changed, in the same atomic write that recorded the demand, so there is no
 * second write that could fail after the first (an outbox for free), no extra call on the
 * webhook's 10-second path, and Lambda retries delivery. A conditional write that changed
 * nothing (a duplicate, a late event) produces no record, so duplicates never wake anyone.
 *
 * Two kinds of job record matter to the scaler: a job that became pending (new demand), and a
 * job that a runner took or finished (that runner is no longer available).
 */
const WAKING_STATUS = "pending";
const PROGRESS_STATUSES = ["running", "success", "failed", "canceled"];

/** Lambda event-source filters (FilterCriteria patterns, OR'ed) for the stream subscription. */
export const SCALER_STREAM_FILTER_PATTERNS = [
  {
    eventName: ["INSERT", "MODIFY"],
    dynamodb: { NewImage: { kind: { S: [ItemKind.Job] }, status: { S: [WAKING_STATUS] } } },
  },
  {
    eventName: ["INSERT", "MODIFY"],
    dynamodb: {
      NewImage: {
        kind: { S: [ItemKind.Job] },
        status: { S: PROGRESS_STATUSES },
        runnerId: { N: [{ exists: true }] },
      },
    },
  },
] as const;

type Image = Readonly<Record<string, AttributeValue>> | undefined;

/** The same rules for pollers that read the stream themselves (the local stack). */
export const wakesScaler = (newImage: Image): boolean =>
  newImage?.kind?.S === ItemKind.Job && newImage.status?.S === WAKING_STATUS;

export const reportsRunnerProgress = (newImage: Image): boolean =>
  newImage?.kind?.S === ItemKind.Job &&
  PROGRESS_STATUSES.includes(newImage.status?.S ?? "") &&
  newImage.runnerId?.N !== undefined;

export const scalerWantsRecord = (newImage: Image): boolean =>
  wakesScaler(newImage) || reportsRunnerProgress(newImage);
