import { awsControlPlane } from "../shared/aws-control-plane";
import { createObservability } from "../shared/observability";
import { createReaperHandler } from "./handler";

const observability = createObservability("reaper");

export const handler = createReaperHandler(
  awsControlPlane(process.env, observability.apiThrottles),
  observability,
);
