import { GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import {
  DynamoDemandStore,
  InMemoryDemandStore,
  InMemoryJobDurations,
  StaticWebhookCredentials,
  TABLE_KEYS,
} from "@ger/core";
import type { Clock, DemandStore, JobRecord } from "@ger/core/types";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { manualClock, SUNDAY_MORNING } from "../../../test/support/clock";
import { createTestTable, type TestTable } from "../../../test/support/dynamodb";
import { gitlabHeaders, jobHook } from "../../../test/support/gitlab";
import { type Expected, expected, payloadOf } from "../../../test/support/webhook-oracle";
import {
  type Body,
  CREDENTIALS,
  type Headers,
  headerRecord,
  headers,
  hookBody,
  MODES,
  type Mode,
  oddBody,
  SECRETS,
  sizedBody,
  tokenSent,
} from "../../../test/support/webhook-requests";
import { createObservability } from "../src/index";
import { createWebhookHandler } from "../src/webhook/handler";
import { apiEvent, captureOutput, lambdaContext } from "./support";

/**
 * The webhook Lambda's handler (middy, header normalizer, auth, parser, logs, metrics) under
 * fuzzed API Gateway events: never a 5xx or a throw, nothing stored unless the request is an
 * authenticated valid Job Hook, and no secret in any log line or response.
 */

const SEED = 20_260_601;
const NOW = SUNDAY_MORNING;
// Far ahead of the real date, so DynamoDB Local's TTL deletes nothing a case wrote.
const clock: Clock = manualClock(NOW);

/** A fresh in-memory store for every case behind one warm handler: what a case stored is all it holds. */
class CaseDemandStore implements DemandStore {
  current = new InMemoryDemandStore();
  reset() {
    this.current = new InMemoryDemandStore();
  }
  recordJobEvent(...args: Parameters<DemandStore["recordJobEvent"]>) {
    return this.current.recordJobEvent(...args);
  }
  noteProjectActivity(...args: Parameters<DemandStore["noteProjectActivity"]>) {
    return this.current.noteProjectActivity(...args);
  }
  listJobs(now: Date) {
    return this.current.listJobs(now);
  }
  listPendingJobs(now: Date) {
    return this.current.listPendingJobs(now);
  }
  annotateJob(...args: Parameters<DemandStore["annotateJob"]>) {
    return this.current.annotateJob(...args);
  }
  claimJobRetry(...args: Parameters<DemandStore["claimJobRetry"]>) {
    return this.current.claimJobRetry(...args);
  }
  settleJobRetry(...args: Parameters<DemandStore["settleJobRetry"]>) {
    return this.current.settleJobRetry(...args);
  }
  listRetriesDue(now: Date) {
    return this.current.listRetriesDue(now);
  }
  listActiveProjects(since: Date) {
    return this.current.listActiveProjects(since);
  }
  listPipelineDemand(now: Date, since: Date) {
    return this.current.listPipelineDemand(now, since);
  }
  notePipelineHalt(...args: Parameters<DemandStore["notePipelineHalt"]>) {
    return this.current.notePipelineHalt(...args);
  }
  liftPipelineHalt(...args: Parameters<DemandStore["liftPipelineHalt"]>) {
    return this.current.liftPipelineHalt(...args);
  }
}

interface Case {
  readonly mode: Mode;
  readonly headers: Headers;
  readonly body: Body;
  /** API Gateway sent no headers object at all. */
  readonly headerless?: boolean;
}

const toEvent = ({ mode, headers: spec, body, headerless }: Case): APIGatewayProxyEventV2 => ({
  ...apiEvent("", {}),
  headers: headerless
    ? (undefined as never)
    : headerRecord(mode, spec, payloadOf(body)?.value, body.text ?? ""),
  body: body.eventBody as string,
  isBase64Encoded: body.base64,
});

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  // Metrics on, so their EMF lines are searched for secrets too.
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
  output = captureOutput();
});
afterEach(() => output.restore());

type Handler = ReturnType<typeof createWebhookHandler>;
const handlersFor = (demand: DemandStore): Record<Mode, Handler> =>
  Object.fromEntries(
    MODES.map((mode) => [
      mode,
      createWebhookHandler(
        {
          demand,
          durations: new InMemoryJobDurations(),
          credentials: new StaticWebhookCredentials(CREDENTIALS[mode]),
          clock,
        },
        createObservability("webhook"),
      ),
    ]),
  ) as Record<Mode, Handler>;

/** One request through a warm handler: what it answered, and all it wrote to stdout and stderr. */
const send = async (handler: Handler, testCase: Case) => {
  output.lines.length = 0;
  const response = (await handler(
    toEvent(testCase),
    lambdaContext(),
  )) as APIGatewayProxyStructuredResultV2;
  return { response, logged: output.lines.join("") };
};

const secretsOf = (testCase: Case): string[] => {
  const sent = testCase.headerless
    ? undefined
    : tokenSent(testCase.mode, testCase.headers, payloadOf(testCase.body)?.value);
  // Even a wrong token may be someone's real one; a short one could be anything.
  return [...SECRETS, ...(sent && sent.length >= 8 ? [sent] : [])];
};

/** What the request must come to, as the webhook's contract says (see webhook-oracle.ts). */
const wanted = (testCase: Case): Expected =>
  testCase.headerless
    ? { status: 401, stores: false }
    : expected(testCase.mode, testCase.headers, testCase.body);

/**
 * How an answer breaks what every answer must be, whatever store is behind the handler. Plain
 * checks, one `expect` per case: ten thousand cases of eight matchers each cost seconds.
 */
const problemsOf = (
  testCase: Case,
  { response, logged }: Awaited<ReturnType<typeof send>>,
  want: Expected,
): string[] => {
  const problems: string[] = [];
  const answer = `${response.statusCode} ${response.body?.slice(0, 500)}`;
  if (!(response.statusCode! < 500)) problems.push(`a 5xx: ${answer}`);
  if (want.status !== undefined && response.statusCode !== want.status)
    problems.push(`wanted ${want.status}, got ${answer}`);
  if (response.headers?.["content-type"] !== "application/json") problems.push("not JSON");
  // The outcome's log line is there, so the search for secrets is not vacuous.
  if (!logged.includes('"outcome":')) problems.push("no outcome logged");
  for (const secret of secretsOf(testCase)) {
    if (logged.includes(secret)) problems.push(`logged ${secret.slice(0, 6)}…`);
    if (response.body?.includes(secret)) problems.push(`answered ${secret.slice(0, 6)}…`);
  }
  if ("build_status" in Object.prototype) problems.push("polluted Object.prototype");
  return problems;
};

/** How what the case left in the store breaks what it wants stored. */
const storageProblems = (
  want: Expected,
  jobs: readonly JobRecord[],
  projects: readonly unknown[],
) => {
  if (want.stores === false && (jobs.length > 0 || projects.length > 0))
    return [`stored ${JSON.stringify(jobs).slice(0, 300)} for a refused request`];
  if (!want.stores) return [];
  const [job, ...more] = jobs;
  const { jobId, projectId, status } = want.stores;
  const stored = job?.jobId === jobId && job.projectId === projectId && job.status === status;
  return stored && more.length === 0
    ? []
    : [`wanted job ${jobId} ${status} stored, got ${JSON.stringify(jobs).slice(0, 300)}`];
};

/** A case in every credential mode it can be sent in, with headers that mode makes sense of. */
const caseOf = (
  body: fc.Arbitrary<Body>,
  headersFor: (mode: Mode) => fc.Arbitrary<Headers>,
): fc.Arbitrary<Case> =>
  fc
    .oneof(
      ...MODES.map((mode) =>
        fc.record({ mode: fc.constant(mode), headers: headersFor(mode), body }),
      ),
    )
    // A signature covers bytes: the signed mode gets bodies whose bytes are known.
    .filter(({ mode, body: { text } }) => mode !== "signed" || text !== undefined);

/** GitLab's own headers, with a token the mode accepts (if the payload claims the project). */
const gitlabLike = (mode: Mode) =>
  headers({
    tokens: mode === "project" ? ["own", "previous", "group"] : ["own", "previous"],
    signatures: ["valid", "previous key"],
    odd: false,
  });
const wellFormed = () => headers({ odd: false });
const anything = () => headers();

describe("webhook handler under fuzzing (in-memory store)", () => {
  const demand = new CaseDemandStore();
  let handlers: Record<Mode, Handler>;
  beforeEach(() => {
    handlers = handlersFor(demand);
  });

  const property = async (arbitrary: fc.Arbitrary<Case>, numRuns: number) => {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (testCase) => {
        demand.reset();
        const want = wanted(testCase);

        const answer = await send(handlers[testCase.mode], testCase);

        const jobs = await demand.current.listJobs(NOW);
        const projects = await demand.current.listActiveProjects(new Date(0));
        const recorded =
          answer.response.statusCode === 200 &&
          answer.response.body?.includes('"status":"recorded"');
        expect([
          ...problemsOf(testCase, answer, want),
          ...storageProblems(want, jobs, projects),
          ...(jobs.length > 0 && !recorded ? ["stored a job it did not answer as recorded"] : []),
        ]).toEqual([]);
      }),
      { seed: SEED, numRuns },
    );
  };

  it("records a real Job Hook with fields replaced, removed or added only while it stays valid", async () => {
    await property(caseOf(hookBody(1, 3), gitlabLike), 3000);
  });

  it("refuses wrong, missing and misplaced tokens, signatures, events and content types", async () => {
    await property(caseOf(hookBody(0, 1), anything), 4000);
  });

  it("answers malformed, nested, non-UTF-8 and base64 bodies without storing them", async () => {
    await property(
      fc.oneof(
        { arbitrary: caseOf(oddBody, gitlabLike), weight: 2 },
        caseOf(oddBody, wellFormed),
        caseOf(oddBody, anything),
        fc.record({
          mode: fc.constant<Mode>("shared"),
          headers: anything(),
          body: oddBody,
          headerless: fc.constant(true),
        }),
      ),
      2900,
    );
  });

  it("refuses a body over 1 MiB, counted in bytes, before it authenticates", async () => {
    await property(caseOf(sizedBody, wellFormed), 40);
  });
});

describe("webhook handler under fuzzing (DynamoDB Local)", () => {
  let table: TestTable;
  let handlers: Record<Mode, Handler>;
  beforeAll(async () => {
    table = await createTestTable();
  });
  afterAll(() => table.drop());
  beforeEach(() => {
    handlers = handlersFor(new DynamoDemandStore(table.documentClient, table.tableName));
  });

  /** Every item by key: what a refused request must leave exactly as it was. */
  const snapshot = async () => {
    const items = new Map<string, unknown>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await table.documentClient.send(
        new ScanCommand({ TableName: table.tableName, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) items.set(String(item[TABLE_KEYS.partitionKey]), item);
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };
  const storedJob = async (jobId: number) =>
    (
      await table.documentClient.send(
        new GetCommand({ TableName: table.tableName, Key: { pk: `JOB#${jobId}`, sk: "JOB" } }),
      )
    ).Item;

  it("never answers 5xx from DynamoDB, and changes nothing for a refused request", async () => {
    let before: Map<string, unknown> | undefined;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { arbitrary: caseOf(hookBody(1, 3), gitlabLike), weight: 3 },
          caseOf(hookBody(0, 1), anything),
          caseOf(oddBody, gitlabLike),
        ),
        async (testCase) => {
          const want = wanted(testCase);
          if (want.stores === false) before ??= await snapshot();

          const answer = await send(handlers[testCase.mode], testCase);

          expect(problemsOf(testCase, answer, want)).toEqual([]);
          if (want.stores === false) {
            const after = await snapshot();
            expect(after).toEqual(before);
            before = after;
          } else {
            // It may have written: the next refusal compares with a fresh snapshot.
            before = undefined;
          }
          if (want.stores) {
            expect(await storedJob(want.stores.jobId)).toMatchObject({ jobId: want.stores.jobId });
          }
        },
      ),
      { seed: SEED, numRuns: 60, endOnFailure: true },
    );
  });

  /** A Job Hook of its own job as GitLab's bytes would carry it, a field written as raw JSON. */
  const hookWith = (jobId: number, overrides: Record<string, unknown>, raw = "") =>
    JSON.stringify(jobHook({ build_id: jobId, ...overrides })).replace(/}$/, `${raw}}`);
  const post = async (body: string) => {
    const result = await handlers.shared(apiEvent(body, gitlabHeaders()), lambdaContext());
    return { statusCode: result.statusCode, body: JSON.parse(result.body ?? "{}") };
  };

  // Found by the property above: each was recorded in memory but failed DynamoDB's write with a
  // 500, which GitLab retries and counts towards disabling the hook.
  it.each([
    [
      "a duration that parses to Infinity",
      hookWith(5001, {}, ',"build_duration":1e400'),
      "build_duration",
    ],
    [
      "a duration beyond 2^53",
      hookWith(5002, { build_queued_duration: 1e20 }),
      "build_queued_duration",
    ],
    ["a denormal duration", hookWith(5003, {}, ',"build_duration":5e-324'), undefined],
    ["retries beyond 2^53", hookWith(5004, { retries_count: 2 ** 60 }), "retries_count"],
    ["a 500 kB job name", hookWith(5005, { build_name: "x".repeat(500_000) }), "build_name"],
    [
      "two 300 kB texts",
      hookWith(5006, { ref: "r".repeat(300_000), build_stage: "s".repeat(300_000) }),
      "ref",
    ],
  ])("answers %s without a 5xx", async (_, body, refused) => {
    const response = await post(body);

    if (refused === undefined) {
      expect(response).toMatchObject({ statusCode: 200, body: { status: "recorded" } });
    } else {
      expect(response).toMatchObject({
        statusCode: 422,
        body: {
          issues: expect.arrayContaining([expect.stringMatching(new RegExp(`^${refused}: `))]),
        },
      });
      expect(await storedJob(JSON.parse(body).build_id)).toBeUndefined();
    }
  });

  it("stores five texts at the cap, in three-byte characters, within DynamoDB's 400 KB item", async () => {
    const longest = "€".repeat(10_000);
    const texts = {
      build_name: longest,
      build_stage: longest,
      ref: longest,
      build_failure_reason: longest,
    };

    const response = await post(
      hookWith(5007, { ...texts, project: { path_with_namespace: longest } }),
    );

    expect(response).toMatchObject({ statusCode: 200, body: { status: "recorded" } });
    expect(await storedJob(5007)).toMatchObject({ name: longest, projectPath: longest });
  });
});
