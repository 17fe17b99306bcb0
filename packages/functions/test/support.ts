import { METRIC_DEFINITIONS, METRICS_NAMESPACE } from "@ger/core";
import type { MetricService } from "@ger/core/types";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { afterEach, beforeEach, expect, vi } from "vitest";

/** An HTTP API (payload 2.0) event as API Gateway delivers a GitLab webhook. */
export const apiEvent = (
  body: string,
  headers: Record<string, string>,
  base64 = false,
): APIGatewayProxyEventV2 => ({
  version: "2.0",
  routeKey: "POST /webhook",
  rawPath: "/webhook",
  rawQueryString: "",
  headers,
  requestContext: {
    accountId: "123456789012",
    apiId: "abc123",
    domainName: "abc123.execute-api.us-east-1.amazonaws.com",
    domainPrefix: "abc123",
    http: {
      method: "POST",
      path: "/webhook",
      protocol: "HTTP/1.1",
      sourceIp: "203.0.113.7",
      userAgent: "GitLab/17.6.0",
    },
    requestId: "req-1",
    routeKey: "POST /webhook",
    stage: "$default",
    time: "01/Jun/2026:10:00:00 +0000",
    timeEpoch: 1_780_308_000_000,
  },
  body: base64 ? Buffer.from(body).toString("base64") : body,
  isBase64Encoded: base64,
});

export const lambdaContext = (remainingMs = 10_000): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: "webhook",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:webhook",
  memoryLimitInMB: "256",
  awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
  logGroupName: "/aws/lambda/webhook",
  logStreamName: "2026/06/01/[$LATEST]abc",
  getRemainingTimeInMillis: () => remainingMs,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** Everything the function writes (Powertools logs to stdout and stderr, EMF), one string per write. */
export const captureOutput = () => {
  const lines: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }),
  );
  const restore = () => {
    for (const spy of spies) spy.mockRestore();
  };
  return { lines, restore };
};

interface EmfBlob {
  readonly _aws: {
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly service?: string;
}

/**
 * Every EMF metric in the output, with the dimensions and unit it was emitted with: what CloudWatch
 * will know it by, and what the dashboard and alarms must name exactly.
 */
export const emittedMetrics = (lines: readonly string[]) =>
  lines
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfBlob)
    .flatMap((blob) =>
      blob._aws.CloudWatchMetrics.flatMap((set) =>
        set.Metrics.map((metric) => ({
          namespace: set.Namespace,
          name: metric.Name,
          unit: metric.Unit,
          service: blob.service,
          dimensions: [...(set.Dimensions[0] ?? [])].sort(),
        })),
      ),
    );

/** Fails unless every metric emitted is one METRIC_DEFINITIONS declares, exactly as declared. */
export const expectMetricsAsDefined = (lines: readonly string[]) => {
  for (const metric of emittedMetrics(lines)) {
    const definition = METRIC_DEFINITIONS[metric.name as keyof typeof METRIC_DEFINITIONS];
    expect(definition, `${metric.name} is not in METRIC_DEFINITIONS`).toBeDefined();
    expect(metric).toEqual({
      namespace: METRICS_NAMESPACE,
      name: metric.name,
      unit: definition.unit,
      service: expect.toSatisfy((service: MetricService) => definition.services.includes(service)),
      dimensions: ["service", ...definition.dimensions].sort(),
    });
  }
};

/** The EMF blobs that carry a metric, parsed: its value and dimensions are their fields. */
export const emfBlobsWith = (lines: readonly string[], name: string): Record<string, unknown>[] =>
  lines
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfBlob & Record<string, unknown>)
    .filter((blob) =>
      blob._aws.CloudWatchMetrics.some((set) => set.Metrics.some((metric) => metric.Name === name)),
    );

/**
 * Captures each test's output (logs and EMF, with metrics switched on) and, after the test, holds
 * every metric it emitted to METRIC_DEFINITIONS.
 */
export const captureEachTest = () => {
  let output: ReturnType<typeof captureOutput> | undefined;
  beforeEach(() => {
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
    output = captureOutput();
  });
  afterEach(() => {
    output?.restore();
    expectMetricsAsDefined(output?.lines ?? []);
  });
  const lines = () => output?.lines ?? [];
  return { lines, emitted: (name: string) => emfBlobsWith(lines(), name) };
};
