/** Ci::Runner::ONLINE_CONTACT_TIMEOUT: a runner heard from within two hours is online. */
const ONLINE_CONTACT_TIMEOUT_MS = 2 * 3600 * 1000;
/** Ci::Runner::STALE_TIMEOUT: a runner silent for a week (or never heard from since) is stale. */
const STALE_TIMEOUT_MS = 7 * 24 * 3600 * 1000;

/** The status GitLab shows for a runner (Ci::Runner#status). */
export const gitlabRunnerStatus = (
  runner: { readonly createdAt: Date; readonly contactedAt?: Date },
  now: Date,
): "online" | "offline" | "stale" | "never_contacted" => {
  const lastSeen = runner.contactedAt ?? runner.createdAt;
  if (now.getTime() - lastSeen.getTime() >= STALE_TIMEOUT_MS) return "stale";
  if (!runner.contactedAt) return "never_contacted";
  return now.getTime() - runner.contactedAt.getTime() < ONLINE_CONTACT_TIMEOUT_MS
    ? "online"
    : "offline";
};
