import { awsControlPlane } from "../shared/aws-control-plane";
import { createObservability } from "../shared/observability";
import { createReaperHandler } from "./handler";

export const handler = createReaperHandler(
  awsControlPlane(process.env),
  createObservability("reaper"),
);
