/** One job of a trace: what GitLab did, and the simulator replays. */
export interface TraceJob {
  readonly jobId: number;
  readonly projectId: number;
  /**
   * When the job became pending; with `pipelineId` and `stage`, when GitLab created it (with its
   * whole pipeline), and it becomes pending once every job of the earlier stages has finished.
   */
  readonly createdAt: Date;
  readonly durationS: number;
  /** Empty for an untagged job. */
  readonly tags: readonly string[];
  readonly pipelineId?: number;
  /** The stage's position in its pipeline, 0 first. */
  readonly stage?: number;
  readonly name?: string;
}
