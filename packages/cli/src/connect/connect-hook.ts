import type { ConnectedHooks, GitlabSetupApi, HookOwner } from "@ger/core/types";

export interface ConnectContext {
  readonly setup: GitlabSetupApi;
  readonly connected: ConnectedHooks;
  readonly webhookUrl: string;
}

export type ConnectOutcome =
  | {
      readonly kind: "connected";
      readonly action: "created" | "updated";
      readonly hookId: number;
      /** Other hooks to the same URL, removed: each would deliver every event again. */
      readonly duplicatesRemoved: readonly number[];
    }
  | { readonly kind: "forbidden" };

/**
 * Makes the owner's hook to this deployment exist with the right token and events, whatever was
 * there: GitLab never shows a hook's token, so an existing hook is always written again.
 */
export const connectHook = async (
  { setup, connected, webhookUrl }: ConnectContext,
  owner: HookOwner,
  token: string,
): Promise<ConnectOutcome> => {
  const hooks = await setup.listHooks(owner);
  if (!hooks) return { kind: "forbidden" };
  const [existing, ...duplicates] = hooks.filter((hook) => hook.url === webhookUrl);
  const settings = { url: webhookUrl, token };
  const hook = existing
    ? await setup.updateHook(owner, existing.id, settings)
    : await setup.createHook(owner, settings);
  for (const duplicate of duplicates) await setup.deleteHook(owner, duplicate.id);
  await connected.add(owner);
  return {
    kind: "connected",
    action: existing ? "updated" : "created",
    hookId: hook.id,
    duplicatesRemoved: duplicates.map((duplicate) => duplicate.id),
  };
};

/** Removes every hook of the owner to this deployment, and the record that it is connected. */
export const disconnectHook = async (
  { setup, connected, webhookUrl }: ConnectContext,
  owner: HookOwner,
): Promise<{ kind: "removed"; hookIds: number[] } | { kind: "forbidden" }> => {
  const hooks = await setup.listHooks(owner);
  if (!hooks) return { kind: "forbidden" };
  const ours = hooks.filter((hook) => hook.url === webhookUrl);
  for (const hook of ours) await setup.deleteHook(owner, hook.id);
  await connected.remove(owner);
  return { kind: "removed", hookIds: ours.map((hook) => hook.id) };
};
