import type { LambdaFunction } from "./control-plane-meters";

/** What a call to GitLab's API is for, in the simulator's report (`gitlabApiCallsByPurpose`). */
export type GitlabCallPurpose = "lifecycle" | "tags" | "reconcile" | "watchdog" | "other";

export const GITLAB_CALL_PURPOSES: readonly GitlabCallPurpose[] = [
  "lifecycle",
  "tags",
  "reconcile",
  "watchdog",
  "other",
];

/**
 * A call's purpose, from the method and the function calling it: runners created, reset and
 * deleted are their lifecycle; the scaler's job reads learn tags (and groups); the reaper's job
 * reads and listings reconcile demand; hook reads are the webhook watchdog. Everything else (the
 * reaper's runner checks before retiring, spot retries) is other.
 */
export const purposeOf = (method: string, fn: LambdaFunction): GitlabCallPurpose => {
  switch (method) {
    case "createRunner":
    case "deleteRunner":
    case "resetRunnerToken":
      return "lifecycle";
    case "listNewestWaitingJobs":
    case "projectGroupIds":
      return "tags";
    case "listPendingJobs":
      return "reconcile";
    case "getJob":
      return fn === "scaler" ? "tags" : "reconcile";
    case "listProjectHooks":
    case "listGroupHooks":
      return "watchdog";
    default:
      return "other";
  }
};

/** `api` with every method call counted under its purpose for the calling function. */
export const countedByPurpose = <T extends object>(
  api: T,
  fn: LambdaFunction,
  counts: Record<GitlabCallPurpose, number>,
): T =>
  new Proxy(api, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || typeof property !== "string") return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        counts[purposeOf(property, fn)] += 1;
        return method.apply(target, args);
      };
    },
  });
