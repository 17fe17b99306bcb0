import type { GitlabHook, GitlabSetupApi, HookOwner } from "@ger/core/types";
import { type CheckResult, checksOf } from "./check";
import { gitlabFailure } from "./gitlab-failure";

const { pass, warn, fail } = checksOf("gitlab");

const HOOKS_DOCS = "https://docs.gitlab.com/user/project/integrations/webhooks/";

export const ownerName = (owner: HookOwner) => `${owner.kind} ${owner.id}`;

export interface HookChecksContext {
  readonly setup: GitlabSetupApi;
  readonly webhookUrl: string;
  /** The projects and groups `connect` manages the hook of. */
  readonly owners: readonly HookOwner[];
  /** `npm run cli -- connect …` for this stage, without the owner. */
  readonly connectCommand: string;
}

const connectFlag = (owner: HookOwner) => `--${owner.kind} ${owner.id}`;

/** Each connected project's or group's hook: there, sending job events, and not disabled by GitLab. */
export const checkHooks = async (context: HookChecksContext): Promise<CheckResult[]> => {
  if (context.owners.length === 0)
    return [
      warn("gitlab.hooks", "webhooks", {
        saw: "no project or group is connected: GitLab sends this deployment no Job Hooks, so jobs wait for the reaper's reconciliation (minutes)",
        fix: `${context.connectCommand} --project <id> (or --group <id>)`,
        docs: HOOKS_DOCS,
      }),
    ];
  const results: CheckResult[] = [];
  for (const owner of context.owners) results.push(await checkHook(context, owner));
  return results;
};

const checkHook = async (
  { setup, webhookUrl, connectCommand }: HookChecksContext,
  owner: HookOwner,
): Promise<CheckResult> => {
  const id = `gitlab.hook.${owner.kind}-${owner.id}`;
  const title = `webhook of ${ownerName(owner)}`;
  const reconnect = `${connectCommand} ${connectFlag(owner)}`;
  let hooks: GitlabHook[] | undefined;
  try {
    hooks = await setup.listHooks(owner);
  } catch (error) {
    return fail(id, title, {
      saw: `could not read its hooks: ${gitlabFailure(error).kind}`,
      fix: "run doctor again",
    });
  }
  if (!hooks)
    return warn(id, title, {
      saw: `the token may not read ${ownerName(owner)}'s hooks (or it is gone)`,
      fix: `reading hooks takes the ${owner.kind === "group" ? "Owner" : "Maintainer"} role; check it in GitLab → Settings → Webhooks`,
      docs: HOOKS_DOCS,
    });
  const ours = hooks.find((hook) => hook.url === webhookUrl);
  if (!ours)
    return fail(id, title, {
      saw: `no hook to ${webhookUrl} (it has ${hooks.length} other${hooks.length === 1 ? "" : "s"})`,
      fix: reconnect,
      docs: HOOKS_DOCS,
    });
  if (!ours.jobEvents)
    return fail(id, title, {
      saw: `hook ${ours.id} does not send job events`,
      fix: reconnect,
      docs: HOOKS_DOCS,
    });
  if (ours.alertStatus !== "executable")
    return fail(id, title, {
      saw: `GitLab ${ours.alertStatus.replace("_", " ")} hook ${ours.id}${ours.disabledUntil ? ` until ${ours.disabledUntil}` : ""} after failed deliveries`,
      fix: `find why deliveries failed (GitLab → Settings → Webhooks → Edit → Recent events), then re-enable it with Test → Job events`,
      docs: "https://docs.gitlab.com/user/project/integrations/webhooks/#auto-disabled-webhooks",
    });
  const extras: string[] = [];
  if (!ours.enableSslVerification) extras.push("SSL verification is off");
  if (ours.otherEvents.length > 0)
    extras.push(`it also sends ${ours.otherEvents.join(", ")} (answered and ignored)`);
  if (extras.length > 0)
    return warn(id, title, { saw: `hook ${ours.id}: ${extras.join("; ")}`, fix: reconnect });
  return pass(id, title, `hook ${ours.id} sends job events to ${webhookUrl}, SSL verified`);
};
