import type { GitlabModel } from "@ger/core";
import type { HookOwner } from "@ger/core/types";
import type { ApiHandler, ApiRoute } from "./api-routes";
import { EVENT_FIELDS, hookResource } from "./hook-resources";
import { paged } from "./paging";
import { type Body, message, type Reply } from "./reply";
import { SCOPES } from "./scopes";

type HookChanges = Parameters<GitlabModel["updateHook"]>[2];

/** Grape's answer to a missing or unusable parameter, and GitLab's to a URL it will not call. */
const missingUrl: Reply = { status: 400, body: { error: "url is missing" } };
const invalidUrl: Reply = { status: 422, body: { error: "Invalid url given" } };

const isUrl = (value: unknown): value is string => {
  try {
    return typeof value === "string" && ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
};

/** The parameters GitLab declares for the owner's hooks; it ignores any other. */
const changesOf = (kind: HookOwner["kind"], body: Body): HookChanges => ({
  ...(typeof body.url === "string" && { url: body.url }),
  ...(typeof body.token === "string" && { token: body.token }),
  events: Object.fromEntries(
    EVENT_FIELDS[kind].flatMap((field) =>
      typeof body[field] === "boolean" ? [[field, body[field]]] : [],
    ),
  ),
  ...(typeof body.enable_ssl_verification === "boolean" && {
    enableSslVerification: body.enable_ssl_verification,
  }),
});

const hookRoutes = (kind: HookOwner["kind"]): ApiRoute[] => {
  const ownerOf = (id: string | undefined): HookOwner => ({ kind, id: Number(id) });
  // GitLab checks the role (Maintainer, Owner of a group) before it reads any parameter.
  const guarded =
    (handler: ApiHandler): ApiHandler =>
    (model, params, ...rest) =>
      model.listHooks(ownerOf(params[0]))
        ? handler(model, params, ...rest)
        : message(403, "403 Forbidden");

  const list: ApiHandler = (model, [id], _body, query) => {
    const owner = ownerOf(id);
    return paged(model.listHooks(owner) ?? [], query, (hook) => hookResource(hook, owner));
  };
  const create: ApiHandler = (model, [id], body) => {
    if (body.url === undefined) return missingUrl;
    if (!isUrl(body.url)) return invalidUrl;
    const owner = ownerOf(id);
    const hook = model.createHook(owner, { ...changesOf(kind, body), url: body.url });
    return { status: 201, body: hookResource(hook, owner) };
  };
  // Recent GitLab takes a PUT without url (older ones require it); one that sets nothing is refused.
  const update: ApiHandler = (model, [id, hookId], body) => {
    if (body.url !== undefined && !isUrl(body.url)) return invalidUrl;
    const changes = changesOf(kind, body);
    const { events = {}, ...others } = changes;
    if (Object.keys(events).length === 0 && Object.keys(others).length === 0)
      return { status: 400, body: { error: "No parameters provided" } };
    const owner = ownerOf(id);
    return {
      status: 200,
      body: hookResource(model.updateHook(owner, Number(hookId), changes), owner),
    };
  };
  const remove: ApiHandler = (model, [id, hookId]) => {
    model.deleteHook(ownerOf(id), Number(hookId));
    return { status: 204 };
  };

  const hooks = `^\\/api\\/v4\\/${kind}s\\/(\\d+)\\/hooks`;
  return [
    ["GET", new RegExp(`${hooks}$`), SCOPES.api, guarded(list)],
    ["POST", new RegExp(`${hooks}$`), SCOPES.api, guarded(create)],
    ["PUT", new RegExp(`${hooks}\\/(\\d+)$`), SCOPES.api, guarded(update)],
    ["DELETE", new RegExp(`${hooks}\\/(\\d+)$`), SCOPES.api, guarded(remove)],
  ];
};

/** Projects' and groups' webhooks (GitLab's ProjectHooks and GroupHooks). */
export const HOOK_ROUTES: readonly ApiRoute[] = [...hookRoutes("project"), ...hookRoutes("group")];
