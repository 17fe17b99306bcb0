import { ConfigurationError } from "@ger/core";
import { startLocalStack } from "./local-stack";
import { loadLocalSettings } from "./settings";

// `npm start`: the control plane on this machine. Settings come from the environment (README).
const settings = (() => {
  try {
    return loadLocalSettings(process.env);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exit(2);
  }
})();
// EMF lines are for CloudWatch; on a terminal they only bury the logs.
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";

const stack = await startLocalStack(settings).catch((error: unknown) => {
  // A data directory or key file open to others: say what to fix, as for a bad setting.
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`error: ${error.message}`);
  process.exit(2);
});
console.error(
  [
    "Local control plane is up.",
    `  webhook URL:    ${stack.baseUrl}/webhook`,
    `  secret token:   ${settings.WEBHOOK_SECRET}   (X-Gitlab-Token; set WEBHOOK_SECRET to change it)`,
    `  health:         ${stack.baseUrl}/healthz`,
    stack.edges.double
      ? `  GitLab double:  ${stack.edges.double.url} (sends Job Hooks to the webhook); EC2 simulated`
      : `  GitLab:         ${stack.edges.gitlabUrl} and real EC2 (point the GitLab webhook here)`,
    `  DynamoDB Local: ${stack.dynamodbEndpoint} (table ${settings.TABLE_NAME}, ${settings.DYNAMODB_DATA_DIR ?? "in memory"}; only this stack's key reads it)`,
    "  try:           npm run cli -- enqueue --tags linux --duration 5   then   npm run cli -- status",
  ].join("\n"),
);

const shutdown = async () => {
  await stack.stop();
  process.exit(0);
};
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
