import { parseAutoscalerConfig, tokenParameterPrefix } from "@ger/core";
import poolsConfig from "../autoscaler.config";
import { refusePlaceholders } from "./lib/placeholders";

/** The pools, validated exactly as the functions validate them at cold start. */
export const config = parseAutoscalerConfig(poolsConfig);

// Deploys only: `npm start` and the tests run the example as it is. sst.config.ts loads this
// module first, so nothing is declared before the refusal.
refusePlaceholders(config);

export const deployment = config.deployment;
export const tokenPrefix = tokenParameterPrefix(config.deployment);

/** Optional SNS topic for alarms: `ALARM_EMAIL=ops@example.com sst deploy`. */
export const alarmEmail = process.env.ALARM_EMAIL;

export const caller = aws.getCallerIdentityOutput({});
export const partition = aws.getPartitionOutput({});
export const region = aws.getRegionOutput({});
