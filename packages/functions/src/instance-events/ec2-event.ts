import type { InstanceEvent } from "@ger/core/types";
import * as v from "valibot";

// The two EventBridge events EC2 sends on the default bus that matter here.
const stateChange = v.object({
  source: v.literal("aws.ec2"),
  "detail-type": v.literal("EC2 Instance State-change Notification"),
  detail: v.object({ "instance-id": v.string(), state: v.string() }),
});
const spotWarning = v.object({
  source: v.literal("aws.ec2"),
  "detail-type": v.literal("EC2 Spot Instance Interruption Warning"),
  detail: v.object({ "instance-id": v.string() }),
});

/** The event in this project's terms, or undefined for anything else (logged, not failed). */
export const toInstanceEvent = (event: unknown): InstanceEvent | undefined => {
  const change = v.safeParse(stateChange, event);
  if (change.success) {
    return {
      kind: "state_change",
      instanceId: change.output.detail["instance-id"],
      state: change.output.detail.state,
    };
  }
  const warning = v.safeParse(spotWarning, event);
  return warning.success
    ? { kind: "spot_interruption", instanceId: warning.output.detail["instance-id"] }
    : undefined;
};
