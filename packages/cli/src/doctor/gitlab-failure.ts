import { GitLabApiError } from "@ger/core";

/** Why a GitLab call failed, in the words a check reports: unreachable, refused token, missing scope, ... */
export type GitlabFailure =
  | { readonly kind: "unreachable"; readonly cause: string }
  | { readonly kind: "unauthorized"; readonly detail: string }
  | { readonly kind: "insufficient_scope"; readonly detail: string }
  | { readonly kind: "forbidden"; readonly detail: string }
  | { readonly kind: "not_found"; readonly detail: string }
  | { readonly kind: "other"; readonly detail: string };

/** fetch's own failures carry the socket's code in `cause` (ENOTFOUND, ECONNREFUSED, ...). */
const networkCause = (error: unknown): string | undefined => {
  const { name, message, cause } = error as { name?: string; message?: string; cause?: unknown };
  if (name === "TimeoutError" || name === "AbortError") return "no answer in time";
  if (!(error instanceof TypeError)) return undefined;
  const code = (cause as { code?: string } | undefined)?.code;
  return code ? `${code} (${message})` : message;
};

export const gitlabFailure = (error: unknown): GitlabFailure => {
  const cause = networkCause(error);
  if (cause) return { kind: "unreachable", cause };
  if (!(error instanceof GitLabApiError))
    return { kind: "other", detail: (error as Error).message ?? String(error) };
  const detail = error.message;
  if (error.status === 401) return { kind: "unauthorized", detail };
  if (error.status === 403)
    return {
      kind: detail.includes("insufficient_scope") ? "insufficient_scope" : "forbidden",
      detail,
    };
  if (error.status === 404) return { kind: "not_found", detail };
  return { kind: "other", detail };
};
