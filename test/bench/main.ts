import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  DynamoDemandStore,
  DynamoJobDurations,
  StaticWebhookCredentials,
  systemClock,
} from "@ger/core";
import { createObservability } from "@ger/functions";
import { createWebhookHandler } from "@ger/functions/webhook";
import {
  ensureTable,
  LOCAL_AWS_SETTINGS,
  localLambdaContext,
  startDynamoDbLocal,
} from "@ger/local";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { gitlabHeaders, jobHook, TEST_TOKEN } from "../support/gitlab";
import { measureApiCallsPerJob } from "./api-calls";
import { measureBundle } from "./bundle";
import { measureDecisionLatency } from "./decision-latency";
import { measureSimulatorThroughput } from "./simulator-throughput";
import { summarize, timeEach } from "./stats";

// `npm run bench [-- --json]`: webhook latency and throughput against DynamoDB Local, next to a
// bare conditional PutItem in the same run, and the webhook bundle's size and cold load time.
const asJson = process.argv.includes("--json");
const SEQUENTIAL = 2_000;
const CONCURRENT = 4_000;
const CONCURRENCY = 16;
const TABLE = "bench";

/** The handler logs and emits EMF as in Lambda; the bytes are counted and dropped, not printed. */
const muteStdout = () => {
  const write = process.stdout.write.bind(process.stdout);
  let bytes = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    bytes += chunk.length;
    return true;
  }) as typeof process.stdout.write;
  return () => {
    process.stdout.write = write;
    return bytes;
  };
};

const webhookEvent = (jobId: number): APIGatewayProxyEventV2 => {
  const body = JSON.stringify(
    jobHook({ build_id: jobId, build_status: "pending", project_id: 1 + (jobId % 50) }),
  );
  return {
    version: "2.0",
    routeKey: "POST /webhook",
    rawPath: "/webhook",
    rawQueryString: "",
    headers: gitlabHeaders(),
    requestContext: {} as APIGatewayProxyEventV2["requestContext"],
    body,
    isBase64Encoded: false,
  };
};

process.env.POWERTOOLS_METRICS_DISABLED = "false";
// Stopped by a signal, exit normally so that DynamoDB Local is stopped with the bench.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
const dynamoDbLocal = await startDynamoDbLocal();
try {
  const client = new DynamoDBClient({ endpoint: dynamoDbLocal.endpoint, ...LOCAL_AWS_SETTINGS });
  await ensureTable(client, TABLE);
  const documents = DynamoDBDocumentClient.from(client);
  const handler = createWebhookHandler(
    {
      demand: new DynamoDemandStore(documents, TABLE),
      durations: new DynamoJobDurations(documents, TABLE),
      credentials: new StaticWebhookCredentials({ token: TEST_TOKEN }),
      clock: systemClock,
    },
    createObservability("webhook"),
  );
  const context = localLambdaContext("webhook");
  let nextJobId = 1_000_000_000;
  const invoke = async () => {
    const result = await handler(webhookEvent(nextJobId++), context);
    if (result.statusCode !== 200)
      throw new Error(`webhook answered ${result.statusCode}: ${result.body}`);
  };
  const barePut = (index: number) =>
    documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          pk: `BARE#${index}`,
          sk: "JOB",
          kind: "bare",
          status: "pending",
          statusRank: 40,
          jobId: index,
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );

  const unmute = muteStdout();
  const started = process.memoryUsage();
  await timeEach(300, 1, invoke);
  await timeEach(300, 1, (i) => barePut(1_000_000 + i));
  // Interleaved so that both see the same machine and the same table size.
  const handlerSamples: number[] = [];
  const putSamples: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    let t = performance.now();
    await invoke();
    handlerSamples.push(performance.now() - t);
    t = performance.now();
    await barePut(i);
    putSamples.push(performance.now() - t);
  }
  const throughput = await timeEach(CONCURRENT, CONCURRENCY, invoke);
  const bareThroughput = await timeEach(CONCURRENT, CONCURRENCY, (i) => barePut(2_000_000 + i));
  const ended = process.memoryUsage();
  const loggedBytes = unmute();
  client.destroy();

  const bundle = await measureBundle("packages/functions/src/webhook/lambda.ts", {
    TABLE_NAME: "bench",
    WEBHOOK_SECRET_ID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench",
    AWS_REGION: "us-east-1",
  });
  const unmuteDecisions = muteStdout();
  const decisionLatency = await measureDecisionLatency(100);
  const apiCalls = await measureApiCallsPerJob(100);
  unmuteDecisions();
  const simulator = await measureSimulatorThroughput();
  const handlerLatency = summarize(handlerSamples);
  const putLatency = summarize(putSamples);
  const invocations = 600 + SEQUENTIAL + CONCURRENT;
  const report = {
    node: process.version,
    webhook: {
      latencyWarm: handlerLatency,
      throughputPerSecond: Math.round((CONCURRENT / throughput.elapsedMs) * 1000),
      concurrency: CONCURRENCY,
      logBytesPerInvocation: Math.round(loggedBytes / invocations),
    },
    bareConditionalPutItem: {
      latency: putLatency,
      throughputPerSecond: Math.round((CONCURRENT / bareThroughput.elapsedMs) * 1000),
    },
    p99RatioToBarePutItem: Math.round((handlerLatency.p99Ms / putLatency.p99Ms) * 100) / 100,
    memory: {
      heapUsedGrowthMiB: Math.round(((ended.heapUsed - started.heapUsed) / 1024 / 1024) * 10) / 10,
      rssMiB: Math.round((ended.rss / 1024 / 1024) * 10) / 10,
    },
    bundle,
    decisionLatency: {
      ...decisionLatency,
      from: "pending Job Hook fired",
      to: "EC2 launch requested",
    },
    apiCalls,
    simulator,
  };
  if (asJson) {
    console.log(JSON.stringify(report));
  } else {
    console.log(
      [
        `Node ${report.node}, DynamoDB Local`,
        `webhook handler  p50 ${handlerLatency.p50Ms} ms  p99 ${handlerLatency.p99Ms} ms  ${report.webhook.throughputPerSecond} req/s at concurrency ${CONCURRENCY}`,
        `bare PutItem     p50 ${putLatency.p50Ms} ms  p99 ${putLatency.p99Ms} ms  ${report.bareConditionalPutItem.throughputPerSecond} req/s`,
        `p99 ratio        ${report.p99RatioToBarePutItem} (target <= 2)`,
        `bundle           ${(bundle.bytes / 1024).toFixed(0)} KiB minified, ${(bundle.gzipBytes / 1024).toFixed(0)} KiB gzip`,
        `decision         p50 ${decisionLatency.p50Ms} ms  p95 ${decisionLatency.p95Ms} ms  (Job Hook fired -> launch requested, local stack)`,
        `API calls        ${apiCalls.gitlabCallsPerJob} GitLab + ${apiCalls.ec2CallsPerJob} EC2 per job (${apiCalls.jobs} jobs in one burst, drained in ${apiCalls.secondsToDrain} s)`,
        `simulator        ${simulator.jobsPerWallSecond} jobs per wall second (${simulator.jobs} jobs, ${simulator.simulatedDays} simulated days in ${simulator.wallSeconds} s)`,
        `module load      p50 ${bundle.moduleLoad.p50Ms} ms  max-of-${bundle.moduleLoad.samples} p99 ${bundle.moduleLoad.p99Ms} ms  RSS ${bundle.rssAfterLoadMiB} MiB`,
      ].join("\n"),
    );
  }
} finally {
  await dynamoDbLocal.stop();
}
