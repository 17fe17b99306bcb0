import type { RunnerRegistry } from "../ports/gitlab";
import type { RunnerStore } from "../ports/runner-store";
import type { TokenDrop } from "../ports/token-drop";
import type { Registration } from "./registration";

export interface ExpiryDependencies {
  readonly runners: RunnerStore;
  readonly registry: RunnerRegistry;
  readonly tokens: TokenDrop;
}

/**
 * A kept registration no runner may take any more (expiring, in one conditional write), then its
 * GitLab runner and waiting token deleted, then forgotten with its scope slot. An expiring one is
 * an expiry that died part-way: finished here. False when a runner took it first.
 */
export const expireRegistration = async (
  deps: ExpiryDependencies,
  registration: Registration,
): Promise<boolean> => {
  if (registration.state === "free" && !(await deps.runners.expireRegistration(registration.name)))
    return false;
  await deps.registry.deleteRunner(registration.gitlabRunnerId);
  await deps.tokens.remove(registration.tokenName);
  return deps.runners.dropRegistration(registration.name);
};

/**
 * A pool refused for its scope's registered-runner cap while the scope's slots are held by free
 * registrations it cannot take (another pool's, or made for other tags): up to `wanted` of them
 * are deleted, the longest free first, so that the pool gets the slots at its next pass instead
 * of after registration_idle_time. Returns how many slots came back.
 */
export const freeScopeSlotsFor = async (
  deps: ExpiryDependencies,
  request: {
    readonly scope: string;
    readonly pool: string;
    readonly fingerprint: string;
    readonly wanted: number;
  },
): Promise<number> => {
  const { scope, pool, fingerprint, wanted } = request;
  const unusable = (await deps.runners.listRegistrations())
    .filter(
      (kept) =>
        kept.registrationScope === scope &&
        kept.state === "free" &&
        (kept.pool !== pool || kept.fingerprint !== fingerprint),
    )
    .sort((a, b) => a.freeSince.localeCompare(b.freeSince))
    .slice(0, wanted);
  let freed = 0;
  for (const kept of unusable) if (await expireRegistration(deps, kept)) freed += 1;
  return freed;
};
