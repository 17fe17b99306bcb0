/** A project that sent job events recently: the set the reconciler asks GitLab about. */
export interface ProjectActivity {
  readonly projectId: number;
  readonly lastJobEventAt: string;
}

/** How long a project counts as active after its last job event. */
export const PROJECT_ACTIVITY_WINDOW_SECONDS = 24 * 3600;

/** A project's activity is rewritten at most this often: a burst of events costs one write. */
export const PROJECT_ACTIVITY_REFRESH_SECONDS = 60;
