import { GitLabApiError } from "../errors";

/** The failure code a launch reports when GitLab refuses a runner for its scope's cap. */
export const REGISTERED_RUNNER_LIMIT = "RegisteredRunnerLimit";

/**
 * GitLab's refusal of POST /user/runners past `ci_registered_group_runners` or
 * `ci_registered_project_runners` ("Maximum number of ci registered group runners (50)
 * exceeded", Limitable's validation): a setting of GitLab's, not a failure to retry.
 */
export const isRegisteredRunnerLimit = (error: unknown): boolean =>
  error instanceof GitLabApiError &&
  error.status >= 400 &&
  error.status < 500 &&
  LIMIT_MESSAGE.test(error.message);

const LIMIT_MESSAGE = /Maximum number of ci registered (?:group|project) runners \((\d+)\)/i;

/** The cap GitLab's refusal names, if it does. */
export const limitInRefusal = (message: string): number | undefined => {
  const limit = LIMIT_MESSAGE.exec(message)?.[1];
  return limit === undefined ? undefined : Number(limit);
};
