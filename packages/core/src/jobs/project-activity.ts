/** A project that sent job events recently: the set the reconciler asks GitLab about. */
export interface ProjectActivity {
  readonly projectId: number;
  readonly lastJobEventAt: string;
}

/** How long a project counts as active after its last job event. */
export const PROJECT_ACTIVITY_WINDOW_SECONDS = 24 * 3600;

/** A project's activity is rewritten at most this often: a burst of events costs one write. */
export const PROJECT_ACTIVITY_REFRESH_SECONDS = 60;

/**
 * Which projects this process noted within the refresh interval, so that a warm function skips
 * the write entirely. Bounded: past `maxEntries` it forgets everything, costing one write each.
 */
export class RecentlyNotedProjects {
  private readonly notedAt = new Map<number, number>();

  constructor(private readonly maxEntries = 10_000) {}

  isFresh(projectId: number, at: Date): boolean {
    const noted = this.notedAt.get(projectId);
    return noted !== undefined && at.getTime() - noted < PROJECT_ACTIVITY_REFRESH_SECONDS * 1000;
  }

  remember(projectId: number, at: Date): void {
    if (this.notedAt.size >= this.maxEntries) this.notedAt.clear();
    this.notedAt.set(projectId, at.getTime());
  }
}
