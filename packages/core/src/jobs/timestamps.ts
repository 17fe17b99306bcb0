// GitLab sends "2023-01-10 13:50:02 UTC" in the plain fields and ISO 8601 in the *_iso ones.
const GITLAB_UTC = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) UTC$/;

/** Parses either GitLab timestamp format to an ISO 8601 string, or undefined if it is neither. */
export const parseGitlabTimestamp = (value: string): string | undefined => {
  const gitlabUtc = GITLAB_UTC.exec(value);
  const candidate = gitlabUtc ? `${gitlabUtc[1]}T${gitlabUtc[2]}Z` : value;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(candidate)) return undefined;
  const millis = Date.parse(candidate);
  return Number.isNaN(millis) ? undefined : new Date(millis).toISOString();
};
