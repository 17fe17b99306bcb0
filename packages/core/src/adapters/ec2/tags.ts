/** Tag keys that mark what this deployment owns; IAM conditions and the reaper rely on them. */
export const TAG_KEYS = {
  deployment: "gitlab-runner-autoscaler:deployment",
  pool: "gitlab-runner-autoscaler:pool",
  /** The launch (CreateFleet call) an instance came from: one launch makes many instances. */
  launch: "gitlab-runner-autoscaler:launch",
  /** Read by the instance through IMDS: run-single's --wait-timeout. */
  waitTimeout: "gitlab-runner-autoscaler:wait-timeout",
} as const;

export const instanceTags = (deployment: string, pool: string, launchId: string) => [
  { Key: TAG_KEYS.deployment, Value: deployment },
  { Key: TAG_KEYS.pool, Value: pool },
  { Key: TAG_KEYS.launch, Value: launchId },
  { Key: "Name", Value: `${deployment}/${pool}` },
];

/** The value of tag `key` in an EC2 answer's Tags; undefined when the resource lacks it. */
export const tagValue = (
  tags: readonly { readonly Key?: string; readonly Value?: string }[] | undefined,
  key: string,
): string | undefined => tags?.find((tag) => tag.Key === key)?.Value;
