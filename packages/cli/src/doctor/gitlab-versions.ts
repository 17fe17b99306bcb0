/** What the control plane uses from GitLab, and the version that brought it (README table). */
export const GITLAB_FEATURES = [
  {
    since: "16.0",
    feature: "runner creation with glrt- tokens (POST /user/runners)",
    below: "nothing can be launched: runners could only be registered with registration tokens",
    required: true,
  },
  {
    since: "16.1",
    feature: "the create_runner token scope",
    below: "the token needs the api scope to create runners",
    required: false,
  },
  {
    since: "17.1",
    feature: "the manage_runner token scope",
    below: "the token needs the api scope to delete runners",
    required: false,
  },
] as const;

/** Major, minor and patch of GitLab's version string ("18.6.0-ee" → [18, 6, 0]); undefined if unreadable. */
export const parseGitlabVersion = (version: string): readonly number[] | undefined => {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
};

export const versionAtLeast = (version: readonly number[], minimum: string): boolean => {
  const wanted = parseGitlabVersion(minimum) ?? [];
  for (let index = 0; index < wanted.length; index++) {
    const have = version[index] ?? 0;
    const want = wanted[index] ?? 0;
    if (have !== want) return have > want;
  }
  return true;
};
