import type { HookOwner } from "./gitlab-setup";

/** The projects and groups whose webhook `connect` manages for this deployment, for `doctor`. */
export interface ConnectedHooks {
  /** Projects first, then groups, each by id. */
  list(): Promise<HookOwner[]>;
  /** Idempotent. */
  add(owner: HookOwner): Promise<void>;
  /** Idempotent. */
  remove(owner: HookOwner): Promise<void>;
}
