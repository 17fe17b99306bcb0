/** EC2 error codes, grouped by what the scaler should do about them (see shared notes, section 3). */

/** No room here: try another instance type, subnet, market or pool. */
export const CAPACITY_ERRORS = new Set([
  "InsufficientInstanceCapacity",
  "InsufficientCapacity",
  "SpotMaxPriceTooLow",
  "MaxSpotInstanceCountExceeded",
  "InsufficientFreeAddressesInSubnet",
  "Unsupported",
  "UnfulfillableCapacity",
]);

/** An account limit: stop launching and alarm, retrying only burns API budget. */
export const QUOTA_ERRORS = new Set([
  "VcpuLimitExceeded",
  "InstanceLimitExceeded",
  "MaxFleetCountExceeded",
]);

/**
 * IAM refused the launch: every other type, subnet, market and pool would be refused the same, so
 * nothing is retried elsewhere; the message is encoded (aws sts decode-authorization-message).
 */
export const AUTHORIZATION_ERRORS = new Set(["UnauthorizedOperation"]);

export type LaunchErrorKind = "capacity" | "quota" | "denied" | "other";

export const classifyLaunchError = (code: string | undefined): LaunchErrorKind => {
  if (code && CAPACITY_ERRORS.has(code)) return "capacity";
  if (code && QUOTA_ERRORS.has(code)) return "quota";
  if (code && AUTHORIZATION_ERRORS.has(code)) return "denied";
  return "other";
};
