import { parseArgs } from "node:util";
import { DeployFailed, recordDeployment } from "./harness";
import { formatPlan } from "./plan";

/*
 * `npm run deploy:check [-- --stage <name>] [--config <pools config>]`: what `sst deploy` would
 * create, read without an AWS account (the program run under mocks, every function bundled).
 * ALARM_EMAIL is passed on as a deploy would read it.
 */

const { values } = parseArgs({
  options: {
    stage: { type: "string", default: "production" },
    config: { type: "string" },
  },
});

try {
  const deployment = await recordDeployment({
    stage: values.stage,
    ...(values.config && { config: values.config }),
    ...(process.env.ALARM_EMAIL && { env: { ALARM_EMAIL: process.env.ALARM_EMAIL } }),
  });
  process.stdout.write(formatPlan(deployment));
  deployment.dispose();
} catch (error) {
  if (!(error instanceof DeployFailed)) throw error;
  const message = error.message
    .split("\n")
    .filter((line) => !/^\s+at /.test(line))
    .join("\n");
  process.stderr.write(`sst deploy --stage ${values.stage} would fail:\n${message}\n`);
  if (!values.config)
    process.stderr.write(
      "\nTo read the plan with the tests' pools: npm run deploy:check -- --config test/deploy/deploy.config.ts\n",
    );
  process.exitCode = 1;
}
