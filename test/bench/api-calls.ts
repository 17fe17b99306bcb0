import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoRunnerStore } from "@ger/core";
import { freePort, type LocalStack, loadLocalSettings, startLocalStack } from "@ger/local";

/** Every runner retired, and the GitLab runners left the registrations kept for the next jobs. */
const settled = async (stack: LocalStack, runners: DynamoRunnerStore) => {
  const [live, kept] = await Promise.all([runners.listLive(), runners.listRegistrations()]);
  return live.length === 0 && stack.edges.double?.model.runners.size === kept.length;
};

/**
 * GitLab and EC2 calls the control plane makes per job, in the local stack: a burst of `jobs` jobs
 * enqueued at once, run to success, and everything retired. The runners' own calls
 * (jobs/request, job updates) are GitLab's load, not the control plane's, and are not counted.
 */
export const measureApiCallsPerJob = async (jobs: number) => {
  const stack = await startLocalStack(
    loadLocalSettings({
      PORT: String(await freePort()),
      TABLE_NAME: "bench-api-calls",
      // Runners that find no job (another took it) give up after 2 s instead of the default 5 min.
      AUTOSCALER_CONFIG: "test/support/e2e.config.json",
      SIM_BOOT_DELAY_MS: "200",
      SIM_CHECK_INTERVAL_MS: "200",
      SCALER_SCHEDULE_SECONDS: "5",
      REAPER_SCHEDULE_SECONDS: "5",
    }),
  );
  const { double, simulatedEc2 } = stack.edges;
  if (!double || !simulatedEc2) throw new Error("the API-call bench needs the simulated edges");
  const client = new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    ...stack.dynamodbClientSettings,
  });
  const runners = new DynamoRunnerStore(DynamoDBDocumentClient.from(client), "bench-api-calls");
  const started = performance.now();
  try {
    const ids = Array.from(
      { length: jobs },
      () => double.model.enqueue({ projectId: 1, tags: ["linux"], durationSeconds: 1 }).id,
    );
    const finished = () => ids.every((id) => double.model.jobs.get(id)?.status === "success");
    const deadline = Date.now() + 300_000;
    while ((!finished() || !(await settled(stack, runners))) && Date.now() < deadline)
      await sleep(250);
    if (!finished()) throw new Error("the jobs did not all finish within 5 minutes");
    const gitlabByRoute = Object.fromEntries(double.apiCalls);
    const gitlab = [...double.apiCalls.values()].reduce((sum, count) => sum + count, 0);
    const ec2 = {
      createFleet: simulatedEc2.launchCalls,
      terminate: simulatedEc2.terminateCalls,
      describe: simulatedEc2.listCalls,
    };
    const ec2Total = ec2.createFleet + ec2.terminate + ec2.describe;
    return {
      jobs,
      secondsToDrain: Math.round((performance.now() - started) / 100) / 10,
      gitlabCallsPerJob: Math.round((gitlab / jobs) * 100) / 100,
      ec2CallsPerJob: Math.round((ec2Total / jobs) * 100) / 100,
      gitlabByRoute,
      ec2,
      keptRegistrations: (await runners.listRegistrations()).length,
      leftBehind: { liveRunners: (await runners.listLive()).length },
    };
  } finally {
    client.destroy();
    await stack.stop();
  }
};
