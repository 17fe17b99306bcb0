import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { ItemKind } from "./keys";

/**
 * The webhook does not call the scaler: the table's stream does. A stream record exists only when
 * an item really changed, in the same atomic write that recorded the demand, so there is no
 * second write that could fail after the first (an outbox for free), no extra call on the
 * webhook's 10-second path, and Lambda retries delivery. A conditional write that changed
 * nothing (a duplicate, a late event) produces no record, so duplicates never wake anyone.
 * The scaler wakes when a job becomes pending, the only status that adds demand.
 */
const WAKING_STATUS = "pending";

/** Lambda event-source filter (FilterCriteria pattern) for the stream subscription. */
export const SCALER_WAKE_FILTER_PATTERN = {
  eventName: ["INSERT", "MODIFY"],
  dynamodb: { NewImage: { kind: { S: [ItemKind.Job] }, status: { S: [WAKING_STATUS] } } },
} as const;

/** The same rule for pollers that read the stream themselves (the local stack). */
export const wakesScaler = (
  newImage: Readonly<Record<string, AttributeValue>> | undefined,
): boolean => newImage?.kind?.S === ItemKind.Job && newImage.status?.S === WAKING_STATUS;
