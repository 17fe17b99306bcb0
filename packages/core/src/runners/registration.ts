import { createHash } from "node:crypto";
import type { PoolConfig } from "../pools/autoscaler-config";
import { createRunnerRequest } from "../pools/runner-scope";
import type { RunnerRecord } from "./runner-record";

/**
 * A GitLab runner kept between jobs (`runner.registrations: reuse`). Exactly one item owns a
 * registration at any time: the live runner record running as it, or, between jobs, this one.
 * Its token was reset when its last job's instance was gone, and the new one waits under the
 * registration's name (the name of the runner that created it, which the GitLab runner's
 * description also carries) for the next instance. Its scope slot in the ledger passes with it.
 */
export interface Registration {
  readonly name: string;
  readonly pool: string;
  readonly gitlabRunnerId: number;
  /** Where its token waits, reset since its last job (see nextTokenNameOf). */
  readonly tokenName: string;
  /** The capped GitLab scope (`group#42`) whose slot it holds, if any. */
  readonly registrationScope?: string;
  /** What it was created with (registrationFingerprint): only a pool asking the same takes it. */
  readonly fingerprint: string;
  /** Jobs it ran, newest first, a page at most: a late hook of one of them is not its next runner's. */
  readonly pastJobIds: readonly number[];
  /** Since when no runner runs as it (ISO 8601). */
  readonly freeSince: string;
  /** `expiring`: no runner takes it any more; its GitLab runner and token are being deleted. */
  readonly state: "free" | "expiring";
}

/**
 * The GitLab runner a pool asks for, except its description: a registration made for other tags,
 * access level or timeout serves no job of the pool as it is now.
 */
export const registrationFingerprint = (pool: PoolConfig): string => {
  const { description: _, ...asked } = createRunnerRequest(pool, "");
  return createHash("sha256").update(JSON.stringify(asked)).digest("hex").slice(0, 16);
};

/**
 * The pool keeps registrations, and one made with `fingerprint` is made as the pool asks for them
 * now: only then is a GitLab runner kept after its job (or its failed launch).
 */
export const poolKeeps = (pool: PoolConfig | undefined, fingerprint: string | undefined): boolean =>
  pool?.runner.registrations === "reuse" &&
  fingerprint !== undefined &&
  fingerprint === registrationFingerprint(pool);

/**
 * Whether a job GitLab shows under the runner's GitLab runner (in a hook or a listing) is this
 * runner's: with a registration taken over, the jobs it ran before, listed or started before this
 * runner's record was made, are an earlier instance's, and so is one whose start is not known
 * (a job a runner took always has one; its own hooks carry it).
 */
export const isJobOfRunner = (
  runner: { readonly createdAt: string; readonly pastJobIds?: readonly number[] },
  job: { readonly id: number; readonly startedAt?: string },
): boolean => {
  if (runner.pastJobIds === undefined) return true;
  if (runner.pastJobIds.includes(job.id) || job.startedAt === undefined) return false;
  return Date.parse(job.startedAt) >= Date.parse(runner.createdAt);
};

/**
 * Whether the runner's instance has polled GitLab: online, for a GitLab runner of its own; for a
 * registration taken over, a contact after this runner's record was made (its earlier instance
 * kept it online for two hours).
 */
export const hasPolledSince = (
  runner: { readonly createdAt: string; readonly pastJobIds?: readonly number[] },
  gitlab: { readonly status: string; readonly contactedAt?: string },
): boolean => {
  if (runner.pastJobIds === undefined) return gitlab.status === "online";
  return (
    gitlab.contactedAt !== undefined &&
    Date.parse(gitlab.contactedAt) >= Date.parse(runner.createdAt)
  );
};

/** The record of a runner that takes a free registration over: `registered`, its scope slot passed on. */
export const takingOver = (runner: RunnerRecord, kept: Registration): RunnerRecord => ({
  ...runner,
  state: "registered",
  gitlabRunnerId: kept.gitlabRunnerId,
  registration: kept.name,
  tokenName: kept.tokenName,
  pastJobIds: kept.pastJobIds,
  fingerprint: kept.fingerprint,
  ...(kept.registrationScope && { registrationScope: kept.registrationScope }),
});

/** A registration a runner leaves behind, free from `at`, with the runner's scope slot. */
export const keptFrom = (
  runner: RunnerRecord,
  registration: Omit<Registration, "state" | "freeSince" | "registrationScope">,
  at: Date,
): Registration => ({
  ...registration,
  ...(runner.registrationScope && { registrationScope: runner.registrationScope }),
  state: "free",
  freeSince: at.toISOString(),
});
