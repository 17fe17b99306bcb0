import type { PolicyName } from "../result";
import type { PolicyFactory } from "../world/world";
import { defaultPolicy } from "./default-policy";
import { idlePoolPolicy } from "./idle-pool-policy";
import { perJobPolicy } from "./per-job-policy";

/** The control planes a run can put in the world: ours, and the two peers' (see their files). */
export const POLICIES: Readonly<Record<PolicyName, PolicyFactory>> = {
  default: defaultPolicy,
  "per-job": perJobPolicy,
  "idle-pool": idlePoolPolicy,
};
