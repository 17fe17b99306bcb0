import type { CreatedRunner, CreateRunnerRequest } from "./gitlab";

/** Where a webhook lives in GitLab. */
export type HookOwner =
  | { readonly kind: "project"; readonly id: number }
  | { readonly kind: "group"; readonly id: number };

/** A webhook as GET /projects/:id/hooks (or /groups/:id/hooks) shows it; GitLab never shows its token. */
export interface GitlabHook {
  readonly id: number;
  readonly url: string;
  readonly jobEvents: boolean;
  /** The other events the hook is sent (push_events, pipeline_events, ...), by GitLab's field name. */
  readonly otherEvents: readonly string[];
  readonly enableSslVerification: boolean;
  /** executable, temporarily_disabled or disabled. */
  readonly alertStatus: string;
  readonly disabledUntil?: string;
}

/** What `connect` writes: job events only (every other event off), SSL verification on. */
export interface HookSettings {
  readonly url: string;
  readonly token: string;
}

/** The token the control plane uses, as GET /personal_access_tokens/self describes it. */
export interface AccessTokenFacts {
  readonly name: string;
  readonly scopes: readonly string[];
  /** YYYY-MM-DD; GitLab 16.0+ gives every token one. */
  readonly expiresAt?: string;
  readonly active: boolean;
  readonly revoked: boolean;
}

/**
 * GitLab's API as `doctor` and `connect` use it, on top of the control plane's own: the version,
 * the token, a probe runner, and the deployment's webhooks.
 */
export interface GitlabSetupApi {
  /** GET /version. */
  version(): Promise<{ readonly version: string; readonly revision: string }>;
  /**
   * GET /personal_access_tokens/self (GitLab 15.5+): also answers for group and project access
   * tokens, which are personal access tokens of a bot user.
   */
  currentToken(): Promise<AccessTokenFacts>;
  /** POST /user/runners with paused: true, so the probe runner can never take a job. */
  createPausedRunner(request: CreateRunnerRequest): Promise<CreatedRunner>;
  /** DELETE /runners/:id; gone already is not an error. */
  deleteRunner(runnerId: number): Promise<void>;
  /**
   * Undefined when the token may not read them (403: Maintainer for a project, Owner for a group)
   * or GitLab shows no such hooks (404: an unknown project or group; group hooks need Premium).
   */
  listHooks(owner: HookOwner): Promise<GitlabHook[] | undefined>;
  createHook(owner: HookOwner, settings: HookSettings): Promise<GitlabHook>;
  updateHook(owner: HookOwner, hookId: number, settings: HookSettings): Promise<GitlabHook>;
  /** Gone already is not an error. */
  deleteHook(owner: HookOwner, hookId: number): Promise<void>;
}
