/** gitlab.com, where GitLab's plans set the registered-runner caps (self-managed: the administrator). */
export const isGitlabCom = (gitlabUrl: string): boolean => {
  try {
    return new URL(gitlabUrl).hostname === "gitlab.com";
  } catch {
    return false;
  }
};

/**
 * gitlab.com's `ci_registered_group_runners` and `ci_registered_project_runners` by the plan name
 * GET /namespaces/:id shows (gitlab-org/gitlab#342757): 50 on Free, 1,000 on Premium and Ultimate,
 * the open-source program's Ultimate, and the legacy Silver and Gold they replaced. Trials and
 * names not listed get no default: GitLab's refusal names the cap when it is reached.
 */
const GITLAB_COM_LIMITS: Readonly<Record<string, number>> = {
  free: 50,
  premium: 1000,
  ultimate: 1000,
  opensource: 1000,
  silver: 1000,
  gold: 1000,
};

export const gitlabComPlanLimit = (plan: string): number | undefined =>
  Object.hasOwn(GITLAB_COM_LIMITS, plan) ? GITLAB_COM_LIMITS[plan] : undefined;
