import type { Clock } from "@ger/core/types";
import type { DeploymentTarget } from "../deployment-target";
import type { DoctorContext } from "./run-doctor";
import { probeWebhook } from "./webhook-probe";

/** What `doctor` checks a deployment with: its account, its GitLab, the real webhook. */
export const doctorContextFor = (target: DeploymentTarget, clock: Clock): DoctorContext => ({
  config: target.config,
  stage: target.stage,
  account: target.account,
  clock,
  probeWebhook,
  gitlab: target.gitlab,
  connectedHooks: target.connectedHooks,
  connectCommand: `npm run cli -- connect${target.flags}`,
});
