import { newRunnerName, ProjectGroups, RegistrationCaps } from "@ger/core";
import { awsControlPlane } from "../shared/aws-control-plane";
import { createObservability } from "../shared/observability";
import { createScalerHandler } from "./handler";

const observability = createObservability("scaler");

export const handler = createScalerHandler(
  {
    ...awsControlPlane(process.env, observability.apiThrottles),
    newRunnerName,
    registrationCaps: new RegistrationCaps(),
    projectGroups: new ProjectGroups(),
  },
  observability,
);
