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

export type LaunchErrorKind = "capacity" | "quota" | "other";

export const classifyLaunchError = (code: string | undefined): LaunchErrorKind => {
  if (code && CAPACITY_ERRORS.has(code)) return "capacity";
  if (code && QUOTA_ERRORS.has(code)) return "quota";
  return "other";
};
