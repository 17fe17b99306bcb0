import { GitLabApiError } from "../../errors";
import type { CreatedRunner, CreateRunnerRequest } from "../../ports/gitlab";
import type {
  AccessTokenFacts,
  GitlabHook,
  GitlabSetupApi,
  HookOwner,
  HookSettings,
} from "../../ports/gitlab-setup";
import { HOOK_EVENT_FIELDS } from "./hook-events";
import { type GitLabRestClient, runnerCreationBody } from "./rest-client";

/** A hook as GitLab lists it: the *_events flags and a few more; never its token. */
interface ListedHook {
  readonly id: number;
  readonly url: string;
  readonly enable_ssl_verification?: boolean;
  readonly alert_status?: string;
  readonly disabled_until?: string | null;
  readonly [field: string]: unknown;
}

const hooksPath = (owner: HookOwner) =>
  `/${owner.kind === "project" ? "projects" : "groups"}/${owner.id}/hooks`;

const portHook = (hook: ListedHook): GitlabHook => ({
  id: hook.id,
  url: hook.url,
  jobEvents: hook.job_events === true,
  otherEvents: Object.entries(hook)
    .filter(([field, on]) => field.endsWith("_events") && field !== "job_events" && on === true)
    .map(([field]) => field),
  enableSslVerification: hook.enable_ssl_verification === true,
  // GitLab before 15.1 has no alert_status: its hooks were never auto-disabled.
  alertStatus: hook.alert_status ?? "executable",
  ...(hook.disabled_until && { disabledUntil: hook.disabled_until }),
});

/** Job events only, SSL verified: every other event field is sent false, push_events included. */
const hookBody = (owner: HookOwner, { url, token }: HookSettings) => ({
  url,
  token,
  ...Object.fromEntries(
    HOOK_EVENT_FIELDS[owner.kind].map((field) => [field, field === "job_events"]),
  ),
  enable_ssl_verification: true,
});

/** What `doctor` and `connect` ask of GitLab, through the control plane's client and its budget. */
export class GitLabSetupRestApi implements GitlabSetupApi {
  constructor(private readonly client: GitLabRestClient) {}

  async version(): Promise<{ version: string; revision: string }> {
    const { version, revision } = (await this.client.send({ method: "GET", path: "/version" })) as {
      version: string;
      revision: string;
    };
    return { version, revision };
  }

  /**
   * GitLab 15.5 and later; earlier versions refuse `self` with a 4xx. Project and group access
   * tokens are personal access tokens of a bot user, so they are answered too; OAuth tokens get 400.
   */
  async currentToken(): Promise<AccessTokenFacts> {
    const token = (await this.client.send({
      method: "GET",
      path: "/personal_access_tokens/self",
    })) as {
      name: string;
      scopes: string[];
      expires_at?: string | null;
      active: boolean;
      revoked: boolean;
    };
    return {
      name: token.name,
      scopes: token.scopes,
      ...(token.expires_at && { expiresAt: token.expires_at }),
      active: token.active,
      revoked: token.revoked,
    };
  }

  async createPausedRunner(request: CreateRunnerRequest): Promise<CreatedRunner> {
    const created = (await this.client.send({
      method: "POST",
      path: "/user/runners",
      body: runnerCreationBody(request, { paused: true }),
    })) as { id: number; token: string };
    return { id: created.id, token: created.token };
  }

  async deleteRunner(runnerId: number): Promise<void> {
    await this.client.send({ method: "DELETE", path: `/runners/${runnerId}`, notFoundOk: true });
  }

  async listHooks(owner: HookOwner): Promise<GitlabHook[] | undefined> {
    const hooks: ListedHook[] = [];
    try {
      for (let page: number | undefined = 1; page !== undefined; ) {
        const listed: { items: ListedHook[]; nextPage?: number } = await this.client.requestPage(
          hooksPath(owner),
          page,
          100,
        );
        hooks.push(...listed.items);
        page = listed.nextPage;
      }
    } catch (error) {
      // 403: the token's user lacks the role (Maintainer, Owner of a group); 404: no such project
      // or group, or group hooks on a GitLab without them (Free).
      if (error instanceof GitLabApiError && (error.status === 403 || error.status === 404))
        return undefined;
      throw error;
    }
    return hooks.map(portHook);
  }

  async createHook(owner: HookOwner, settings: HookSettings): Promise<GitlabHook> {
    return portHook(
      (await this.client.send({
        method: "POST",
        path: hooksPath(owner),
        body: hookBody(owner, settings),
      })) as ListedHook,
    );
  }

  async updateHook(owner: HookOwner, hookId: number, settings: HookSettings): Promise<GitlabHook> {
    // The token goes with the URL: GitLab resets a hook's token when its URL changes.
    return portHook(
      (await this.client.send({
        method: "PUT",
        path: `${hooksPath(owner)}/${hookId}`,
        body: hookBody(owner, settings),
      })) as ListedHook,
    );
  }

  async deleteHook(owner: HookOwner, hookId: number): Promise<void> {
    await this.client.send({
      method: "DELETE",
      path: `${hooksPath(owner)}/${hookId}`,
      notFoundOk: true,
    });
  }
}
