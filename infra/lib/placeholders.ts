import type { AutoscalerConfig } from "@ger/core/types";

/*
 * autoscaler.config.ts ships with values that make `npm start` and the tests work and no deploy:
 * AWS would refuse the subnets at the first lookup, with a message that does not say which field.
 * A deploy refuses them first, by field, saying what to put there.
 */

/** The subnet ids autoscaler.config.ts ships with. */
export const PLACEHOLDER_SUBNETS: readonly string[] = [
  "subnet-0a1b2c3d4e5f60718",
  "subnet-0f1e2d3c4b5a69788",
];

/** Hosts reserved for examples (RFC 2606): gitlab.example.com and the like. */
const isExampleHost = (host: string) =>
  /(^|\.)example\.(com|net|org)$/.test(host) || /(^|\.)example$/.test(host);

/** Each placeholder still in the config, by its field, with what to put there. */
export const placeholderProblems = (config: AutoscalerConfig): string[] => [
  ...(isExampleHost(new URL(config.gitlab_url).hostname)
    ? [
        `gitlab_url is ${config.gitlab_url}, the example's: put your GitLab's URL (https://gitlab.com, or your instance's)`,
      ]
    : []),
  ...config.pools.flatMap((pool, index) =>
    pool.instance.subnets.flatMap((subnet, position) =>
      PLACEHOLDER_SUBNETS.includes(subnet)
        ? [
            `pools.${index}.instance.subnets.${position} is ${subnet}, the example's: put a subnet of your VPC (aws ec2 describe-subnets --query 'Subnets[].[SubnetId,VpcId,AvailabilityZone]')`,
          ]
        : [],
    ),
  ),
];

/** Throws, naming every placeholder, when the config still has one. */
export const refusePlaceholders = (config: AutoscalerConfig) => {
  const problems = placeholderProblems(config);
  if (problems.length > 0)
    throw new Error(
      `autoscaler.config.ts still has the example's placeholders; replace them before deploying:\n  ${problems.join("\n  ")}`,
    );
};
