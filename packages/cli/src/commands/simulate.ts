import { readFile, writeFile } from "node:fs/promises";
import { gitlabComPlanLimit, loadConfigFile } from "@ger/core";
import {
  type FaultSpec,
  FaultSpecError,
  lookaheadFlipped,
  type PolicyName,
  parseFaultSpec,
  parseTrace,
  renderHtmlReport,
  runSimulation,
  type SimulationRun,
} from "@ger/simulator";
import { formatComparison } from "../format-simulation";
import { UsageError } from "../table-target";

export interface SimulateOptions {
  readonly trace?: string;
  readonly config?: string;
  readonly policy?: string;
  readonly compare?: boolean;
  readonly seed?: string;
  readonly json?: boolean;
  readonly report?: string;
  readonly faults?: string;
  readonly "registered-runner-limit"?: string;
  readonly "gitlab-plan"?: string;
  readonly "parameter-store-tps"?: string;
}

const POLICY_NAMES: readonly PolicyName[] = ["default", "per-job", "idle-pool"];

const isPolicy = (name: string): name is PolicyName =>
  (POLICY_NAMES as readonly string[]).includes(name);

/** A progress bar on a terminal; a line every tenth otherwise; `--json`'s stdout stays clean. */
const progressReporter = (policy: string, stream: NodeJS.WriteStream = process.stderr) => {
  let shown = -1;
  return (fraction: number) => {
    const percent = Math.floor(fraction * 100);
    if (stream.isTTY) {
      if (percent === shown) return;
      shown = percent;
      const width = 30;
      const filled = Math.round((percent / 100) * width);
      stream.write(
        `\r${policy.padEnd(21)} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${percent}%`,
      );
      if (percent >= 100) stream.write("\n");
      return;
    }
    const tenth = Math.floor(percent / 10);
    if (tenth === shown) return;
    shown = tenth;
    stream.write(`simulate ${policy}: ${tenth * 10}% of the trace replayed\n`);
  };
};

/** --faults' spec, its errors as usage errors naming what is wrong. */
const faultsOf = (text: string | undefined): FaultSpec => {
  if (text === undefined) return {};
  try {
    return parseFaultSpec(text);
  } catch (error) {
    if (error instanceof FaultSpecError) throw new UsageError(`--faults: ${error.message}`);
    throw error;
  }
};

/** A whole number of at least 1, or a usage error naming the flag. */
const positiveWhole = (flag: string, text: string): number => {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new UsageError(`--${flag} must be a whole number of at least 1, got '${text}'`);
  return value;
};

/** The world's service limits the flags set: GitLab's registered-runner cap, Parameter Store's TPS. */
const serviceLimitsOf = (options: SimulateOptions) => {
  const cap = options["registered-runner-limit"];
  const plan = options["gitlab-plan"];
  if (plan !== undefined && gitlabComPlanLimit(plan) === undefined)
    throw new UsageError(
      `--gitlab-plan must be one of free, premium, ultimate, opensource, got '${plan}'`,
    );
  if (plan !== undefined && cap !== undefined)
    throw new UsageError(
      "--gitlab-plan sets the registered-runner cap: leave out --registered-runner-limit",
    );
  const tps = options["parameter-store-tps"];
  const rate = tps === undefined ? undefined : positiveWhole("parameter-store-tps", tps);
  return {
    ...(cap !== undefined && {
      registeredRunnerLimit: positiveWhole("registered-runner-limit", cap),
    }),
    ...(plan !== undefined && { gitlabPlan: plan }),
    ...(rate !== undefined && {
      parameterStore: {
        getPut: { capacity: rate, perSecond: rate },
        delete: { capacity: rate, perSecond: rate },
      },
    }),
  };
};

/**
 * `simulate`: replays a trace in virtual time through one policy or, with --compare, all three and
 * the default again with pipeline lookahead flipped.
 */
export const runSimulate = async (options: SimulateOptions): Promise<void> => {
  if (!options.trace) throw new UsageError("simulate needs --trace FILE (a CSV job trace)");
  const policy = options.policy ?? "default";
  if (!isPolicy(policy))
    throw new UsageError(`--policy must be one of ${POLICY_NAMES.join(", ")}, got '${policy}'`);
  if (options.compare && options.policy)
    throw new UsageError("--compare runs every policy: leave out --policy");
  const seed = options.seed === undefined ? 1 : Number(options.seed);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new UsageError(`--seed must be a whole number, got '${options.seed}'`);
  const faults = faultsOf(options.faults);
  const limits = serviceLimitsOf(options);
  if (options.faults !== undefined && (options.compare || policy !== "default"))
    throw new UsageError(
      "--faults exercises the default policy only: leave out --policy and --compare",
    );
  const trace = parseTrace(await readFile(options.trace, "utf8"));
  const config = await loadConfigFile(options.config ?? process.env.AUTOSCALER_CONFIG);
  const variants = options.compare
    ? [
        ...POLICY_NAMES.map((name) => ({ policy: name, config, label: name })),
        { policy: "default" as const, ...lookaheadFlipped(config) },
      ]
    : [{ policy, config, label: policy }];
  const runs: SimulationRun[] = [];
  for (const variant of variants)
    runs.push(
      await runSimulation({
        trace,
        ...variant,
        world: { seed, faults, ...limits },
        onProgress: progressReporter(variant.label),
      }),
    );
  if (options.report)
    await writeFile(
      options.report,
      renderHtmlReport({ title: "What-if simulation", trace: options.trace, runs }),
    );
  const summaries = runs.map((run) => run.summary);
  if (options.json) {
    const output = options.compare
      ? { policies: Object.fromEntries(summaries.map((summary) => [summary.label, summary])) }
      : summaries[0];
    console.log(JSON.stringify(output, null, 2));
  } else console.log(formatComparison(summaries));
};
