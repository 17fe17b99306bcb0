/** How long a project's groups, as GitLab showed them, are believed: projects seldom move. */
export const PROJECT_GROUPS_TTL_SECONDS = 3600;
/** A project GitLab did not show may be shown soon (a token given more rights): asked again sooner. */
export const HIDDEN_PROJECT_TTL_SECONDS = 300;
/** Projects remembered at most; past it, the expired are forgotten first, then the oldest. */
export const PROJECT_GROUPS_KEPT = 2000;

interface Lookup {
  readonly groupIds: Promise<number[] | undefined>;
  readonly readAtMs: number;
  hidden?: boolean;
}

/**
 * Each project's groups (the ancestry a group pool routes by), read once and kept for the process
 * (a Lambda container, the local stack, a simulation), so a busy project costs a read an hour,
 * not one every scaler pass that sees a new job of it. A failed read is forgotten at once.
 */
export class ProjectGroups {
  private readonly lookups = new Map<number, Lookup>();

  /** The lookup of `projectId` still believed at `now`, if any. */
  known(projectId: number, now: Date): Promise<number[] | undefined> | undefined {
    const lookup = this.lookups.get(projectId);
    if (!lookup) return undefined;
    const ttl = lookup.hidden ? HIDDEN_PROJECT_TTL_SECONDS : PROJECT_GROUPS_TTL_SECONDS;
    if (now.getTime() - lookup.readAtMs < ttl * 1000) return lookup.groupIds;
    this.lookups.delete(projectId);
    return undefined;
  }

  /** Remembers the read of `projectId`'s groups started at `now`; returns it. */
  remember(
    projectId: number,
    now: Date,
    groupIds: Promise<number[] | undefined>,
  ): Promise<number[] | undefined> {
    if (this.lookups.size >= PROJECT_GROUPS_KEPT) this.forgetSome(now);
    const lookup: Lookup = { groupIds, readAtMs: now.getTime() };
    this.lookups.set(projectId, lookup);
    groupIds.then(
      (ids) => {
        lookup.hidden = ids === undefined;
      },
      () => {
        if (this.lookups.get(projectId) === lookup) this.lookups.delete(projectId);
      },
    );
    return groupIds;
  }

  private forgetSome(now: Date): void {
    for (const projectId of [...this.lookups.keys()]) this.known(projectId, now);
    // Maps keep insertion order: the first is the oldest.
    while (this.lookups.size >= PROJECT_GROUPS_KEPT) {
      const [oldest] = this.lookups.keys();
      this.lookups.delete(oldest as number);
    }
  }
}
