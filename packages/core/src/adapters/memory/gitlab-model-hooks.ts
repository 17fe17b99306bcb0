import { GitLabApiError } from "../../errors";
import type { ProjectHook } from "../../ports/gitlab";
import type { HookOwner } from "../../ports/gitlab-setup";

/**
 * A webhook as GitLab keeps it. A test may set one with a URL and alert status alone (what the
 * reaper's watchdog reads): the rest then reads as GitLab's defaults for a job-events hook.
 */
export interface GitlabModelHook extends ProjectHook {
  /** Without one, the hook is numbered by its place in its list. */
  readonly id?: number;
  /** Sent as X-Gitlab-Token; GitLab never shows it again. */
  readonly token?: string;
  /** The *_events fields that are on, by GitLab's name; without it, job_events alone. */
  readonly events?: readonly string[];
  /** Default true. */
  readonly enableSslVerification?: boolean;
  readonly createdAt?: Date;
}

/** A hook with GitLab's defaults filled in, as the API shows it. */
export type ResolvedHook = GitlabModelHook & {
  readonly id: number;
  readonly events: readonly string[];
  readonly enableSslVerification: boolean;
};

/** What POST or PUT …/hooks sets; a field left out keeps its value (on POST, GitLab's default). */
export interface HookChanges {
  readonly url?: string;
  readonly token?: string;
  /** *_events fields turned on (true) or off (false). */
  readonly events?: Readonly<Record<string, boolean>>;
  readonly enableSslVerification?: boolean;
}

const resolve = (hook: GitlabModelHook, index: number): ResolvedHook => ({
  ...hook,
  id: hook.id ?? index + 1,
  events: hook.events ?? ["job_events"],
  enableSslVerification: hook.enableSslVerification ?? true,
});

const withEvents = (events: readonly string[], changes: HookChanges["events"] = {}) => [
  ...new Set([
    ...events.filter((field) => changes[field] !== false),
    ...Object.keys(changes).filter((field) => changes[field]),
  ]),
];

/**
 * Projects' and groups' webhooks, and GitLab's rules for writing them. The token may write an
 * owner's hooks exactly when it may read them: GitLab asks the same role for both (Maintainer of
 * a project, Owner of a group), so an owner that answers 403 to a listing refuses writes too.
 */
export class GitlabHookLists {
  /** GitLab numbers hooks across all projects and groups. */
  private nextId = 1;

  constructor(
    private readonly projects: Map<number, readonly GitlabModelHook[]>,
    private readonly groups: Map<number, readonly GitlabModelHook[]>,
    /** The hooks of a project without an entry; without them, such a project answers 403. */
    private readonly projectDefaults: readonly GitlabModelHook[] | undefined,
  ) {}

  /** Undefined when the token may not read them. */
  list(owner: HookOwner): ResolvedHook[] | undefined {
    const hooks =
      owner.kind === "project"
        ? (this.projects.get(owner.id) ?? this.projectDefaults)
        : this.groups.get(owner.id);
    return hooks?.map(resolve);
  }

  /** POST …/hooks: GitLab's defaults are push events on, SSL verification on. */
  create(owner: HookOwner, changes: HookChanges & { url: string }, now: Date): ResolvedHook {
    const hooks = this.writable(owner);
    const id = Math.max(this.nextId, ...hooks.map((hook) => hook.id + 1));
    this.nextId = id + 1;
    const hook: ResolvedHook = {
      id,
      url: changes.url,
      ...(changes.token !== undefined && { token: changes.token }),
      events: withEvents(["push_events"], changes.events),
      enableSslVerification: changes.enableSslVerification ?? true,
      alertStatus: "executable",
      createdAt: now,
    };
    this.store(owner, [...hooks, hook]);
    return hook;
  }

  /** PUT …/hooks/:hook_id. A new URL without a token clears the token, as GitLab does. */
  update(owner: HookOwner, hookId: number, changes: HookChanges): ResolvedHook {
    const hooks = this.writable(owner);
    const hook = this.find(hooks, hookId);
    const { token: _before, ...unchanged } = hook;
    const urlChanged = changes.url !== undefined && changes.url !== hook.url;
    const token = changes.token ?? (urlChanged ? undefined : hook.token);
    const updated: ResolvedHook = {
      ...unchanged,
      url: changes.url ?? hook.url,
      ...(token !== undefined && { token }),
      events: withEvents(hook.events, changes.events),
      enableSslVerification: changes.enableSslVerification ?? hook.enableSslVerification,
    };
    this.store(
      owner,
      hooks.map((other) => (other.id === hookId ? updated : other)),
    );
    return updated;
  }

  /** DELETE …/hooks/:hook_id. */
  delete(owner: HookOwner, hookId: number): void {
    const hooks = this.writable(owner);
    this.find(hooks, hookId);
    this.store(
      owner,
      hooks.filter((hook) => hook.id !== hookId),
    );
  }

  /** The token a hook was given, which the API never shows; undefined without one. */
  token(owner: HookOwner, hookId: number): string | undefined {
    return this.list(owner)?.find((hook) => hook.id === hookId)?.token;
  }

  private writable(owner: HookOwner): ResolvedHook[] {
    const hooks = this.list(owner);
    if (!hooks) throw new GitLabApiError("403 Forbidden", 403);
    return hooks;
  }

  private find(hooks: readonly ResolvedHook[], hookId: number): ResolvedHook {
    const hook = hooks.find((candidate) => candidate.id === hookId);
    if (!hook) throw new GitLabApiError("404 Not found", 404);
    return hook;
  }

  private store(owner: HookOwner, hooks: readonly ResolvedHook[]): void {
    (owner.kind === "project" ? this.projects : this.groups).set(owner.id, hooks);
  }
}
