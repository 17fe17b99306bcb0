import { awsControlPlane } from "../shared/aws-control-plane";
import { createObservability } from "../shared/observability";
import { createInstanceEventsHandler } from "./handler";

const observability = createObservability("instance-events");

export const handler = createInstanceEventsHandler(
  awsControlPlane(process.env, observability.apiThrottles),
  observability,
);
