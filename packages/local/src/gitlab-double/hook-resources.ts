import type { GitlabModel } from "@ger/core";
import type { HookOwner } from "@ger/core/types";
import { iso } from "./resources";

type ModelHook = NonNullable<ReturnType<GitlabModel["listHooks"]>>[number];

/**
 * The event flags GitLab shows, and takes on POST and PUT, for each owner's hooks (19.x). Kept
 * apart from the adapter's list on purpose: a field the adapter forgets then shows in a test.
 */
export const EVENT_FIELDS = {
  project: [
    "push_events",
    "issues_events",
    "confidential_issues_events",
    "merge_requests_events",
    "tag_push_events",
    "note_events",
    "confidential_note_events",
    "job_events",
    "pipeline_events",
    "wiki_page_events",
    "deployment_events",
    "feature_flag_events",
    "releases_events",
    "milestone_events",
    "emoji_events",
    "resource_access_token_events",
    "resource_deploy_token_events",
    "vulnerability_events",
  ],
  group: [
    "push_events",
    "issues_events",
    "confidential_issues_events",
    "merge_requests_events",
    "tag_push_events",
    "note_events",
    "confidential_note_events",
    "job_events",
    "pipeline_events",
    "project_events",
    "wiki_page_events",
    "deployment_events",
    "feature_flag_events",
    "releases_events",
    "subgroup_events",
    "emoji_events",
    "resource_access_token_events",
    "member_events",
    "vulnerability_events",
  ],
} as const satisfies Record<HookOwner["kind"], readonly string[]>;

/** A hook as GitLab lists, creates and updates it: every field but its token. */
export const hookResource = (hook: ModelHook, owner: HookOwner) => ({
  id: hook.id,
  url: hook.url,
  name: null,
  description: null,
  ...(owner.kind === "project" ? { project_id: owner.id } : { group_id: owner.id }),
  created_at: iso(hook.createdAt),
  ...Object.fromEntries(
    EVENT_FIELDS[owner.kind].map((field) => [field, hook.events.includes(field)]),
  ),
  // A system hook's event; project and group hooks show it, always off.
  repository_update_events: false,
  enable_ssl_verification: hook.enableSslVerification,
  alert_status: hook.alertStatus,
  disabled_until: hook.disabledUntil ?? null,
  url_variables: [],
});
