import { awsControlPlane } from "../shared/aws-control-plane";
import { createObservability } from "../shared/observability";
import { createInstanceEventsHandler } from "./handler";

export const handler = createInstanceEventsHandler(
  awsControlPlane(process.env),
  createObservability("instance-events"),
);
