import { newRunnerName } from "@ger/core";
import { awsControlPlane } from "../shared/aws-control-plane";
import { createObservability } from "../shared/observability";
import { createScalerHandler } from "./handler";

export const handler = createScalerHandler(
  { ...awsControlPlane(process.env), newRunnerName },
  createObservability("scaler"),
);
