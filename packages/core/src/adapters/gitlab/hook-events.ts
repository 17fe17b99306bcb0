/**
 * The event fields POST and PUT /projects/:id/hooks and /groups/:id/hooks take (GitLab's
 * lib/api/project_hooks.rb and ee/lib/api/group_hooks.rb, 19.x). GitLab ignores a field it does
 * not know, so every one is sent to older versions too: false for all but job_events, since
 * push_events defaults to true and a field left out keeps its value on an update.
 */
export const HOOK_EVENT_FIELDS = {
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
} as const;
