const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

const asProjectId = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : undefined;

/**
 * The project a parsed payload speaks for, as the Job Hook schema reads it: `project_id`, a safe
 * positive integer. Events without a top-level project_id (pipeline, merge request) name it as
 * `project.id`; reading that spares a project hook with more events ticked the 401s GitLab would
 * disable it for. Nothing is recorded from those events.
 */
export const claimedProjectId = (payload: unknown): number | undefined => {
  if (!isRecord(payload)) return undefined;
  if ("project_id" in payload) return asProjectId(payload.project_id);
  return isRecord(payload.project) ? asProjectId(payload.project.id) : undefined;
};
