import type { DurationKey, PipelineHalt, WebhookRequest } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { manualClock, SUNDAY_MORNING } from "../../../test/support/clock";
import { gitlabHeaders, jobHook, minimalJobHook, TEST_TOKEN } from "../../../test/support/gitlab";
import {
  durationKeyOf,
  estimateFutureJobs,
  InMemoryDemandStore,
  InMemoryJobDurations,
  receiveJobWebhook,
  StaticWebhookCredentials,
} from "../src/index";

/** The documented Job Hook's project and pipeline. */
const PROJECT = 380;
const PIPELINE = 2366;

const iso = (seconds: number) => new Date(SUNDAY_MORNING.getTime() + seconds * 1000).toISOString();
/** What lookahead asks for: since an hour before the tests' start. */
const since = new Date(SUNDAY_MORNING.getTime() - 3600 * 1000);

const setup = () => {
  const clock = manualClock(SUNDAY_MORNING);
  const demand = new InMemoryDemandStore();
  const durations = new InMemoryJobDurations();
  /** Each hook a second after the one before, so that halts have distinct times. */
  const receive = (body: unknown, headers: Record<string, string | undefined> = {}) => {
    clock.advance(1);
    const request: WebhookRequest = {
      headers: gitlabHeaders(headers),
      body: typeof body === "string" ? body : JSON.stringify(body),
    };
    return receiveJobWebhook(request, { demand, durations, credentials, clock });
  };
  const halts = async () => (await demand.listPipelineDemand(clock.now(), since)).halts;
  const history = async (name: string, projectId = PROJECT) => {
    const key: DurationKey = { projectId, name };
    return (await durations.recentDurations([key], clock.now())).get(durationKeyOf(key));
  };
  /** Every history the tests could have written to, by durationKeyOf. */
  const allHistories = async () =>
    Object.fromEntries(
      await durations.recentDurations(
        ["test", "compile", "lint", "rspec", "deploy"].map((name) => ({
          projectId: PROJECT,
          name,
        })),
        clock.now(),
      ),
    );
  return { clock, demand, durations, receive, halts, history, allHistories };
};

const credentials = new StaticWebhookCredentials({ token: TEST_TOKEN });

/** The documented Job Hook, made recently (lookahead reads the last hours only). */
const hook = (overrides: Record<string, unknown> = {}) =>
  jobHook({ build_created_at_iso: iso(-120), ...overrides });

const succeeded = (seconds: unknown, overrides: Record<string, unknown> = {}) =>
  hook({ build_status: "success", build_duration: seconds, ...overrides });

describe("receiveJobWebhook: pipeline halts", () => {
  it("notes a halt of its pipeline for a job that failed and may not, with the job's id, name and stage", async () => {
    const { clock, receive, halts } = setup();

    const outcome = await receive(hook({ build_status: "failed", build_allow_failure: false }));

    expect(outcome.kind).toBe("recorded");
    expect(await halts()).toEqual<PipelineHalt[]>([
      {
        pipelineId: PIPELINE,
        projectId: PROJECT,
        jobId: 1977,
        name: "test",
        stage: "test",
        haltedAt: clock.now().toISOString(),
      },
    ]);
  });

  it("notes a halt for a failed job whose hook does not say whether it may fail (older GitLab)", async () => {
    const { receive, halts } = setup();

    await receive(hook({ build_status: "failed", build_allow_failure: undefined }));

    expect(await halts()).toMatchObject([{ pipelineId: PIPELINE, jobId: 1977 }]);
  });

  it("notes no halt for a failed job that may fail", async () => {
    const { demand, clock, receive, halts } = setup();

    const outcome = await receive(hook({ build_status: "failed", build_allow_failure: true }));

    expect(outcome.kind).toBe("recorded");
    expect(await halts()).toEqual([]);
    expect(await demand.listJobs(clock.now())).toMatchObject([{ jobId: 1977, status: "failed" }]);
  });

  it("notes a halt for a canceled job", async () => {
    const { clock, receive, halts } = setup();

    await receive(hook({ build_status: "canceled", build_id: 1980, build_name: "deploy" }));

    expect(await halts()).toEqual([
      {
        pipelineId: PIPELINE,
        projectId: PROJECT,
        jobId: 1980,
        name: "deploy",
        stage: "test",
        haltedAt: clock.now().toISOString(),
      },
    ]);
  });

  it.each(["created", "pending", "running", "success", "canceling", "manual"])(
    "notes no halt for a job that is %s",
    async (status) => {
      const { receive, halts } = setup();

      const outcome = await receive(hook({ build_status: status }));

      expect(outcome.kind).toBe("recorded");
      expect(await halts()).toEqual([]);
    },
  );

  it("notes no halt for a failed job outside any pipeline", async () => {
    const { demand, clock, receive, halts } = setup();

    await receive(minimalJobHook(77, "failed"));

    expect(await halts()).toEqual([]);
    expect(await demand.listJobs(clock.now())).toMatchObject([{ jobId: 77, status: "failed" }]);
  });

  it("lifts a halt for lookahead once GitLab retries the job: a later job of its name in its stage", async () => {
    const { clock, demand, receive } = setup();
    const pipelineJob = (id: number, name: string, stage: string, status: string) =>
      hook({ build_id: id, build_name: name, build_stage: stage, build_status: status });
    const future = async () => {
      const { jobs, halts } = await demand.listPipelineDemand(clock.now(), since);
      const estimated = estimateFutureJobs({ jobs, halts, durations: new Map(), now: clock.now() });
      return { halts, future: estimated.map((job) => job.job.jobId) };
    };
    await receive(pipelineJob(201, "rspec", "test", "created"));
    await receive({
      ...pipelineJob(101, "compile", "build", "running"),
      build_started_at_iso: iso(0),
    });
    await receive(pipelineJob(102, "lint", "build", "failed"));

    const halted = await future();
    await receive(pipelineJob(103, "lint", "build", "pending"));
    const retried = await future();

    expect(halted).toEqual({
      halts: [expect.objectContaining({ pipelineId: PIPELINE, jobId: 102, name: "lint" })],
      future: [],
    });
    // The halt is still listed: it is the estimate that sees the retry.
    expect(retried.halts).toEqual(halted.halts);
    expect(retried.future).toEqual([201]);
    // A job of another name in the stage is no retry.
    const other = setup();
    await other.receive(pipelineJob(201, "rspec", "test", "created"));
    await other.receive({
      ...pipelineJob(101, "compile", "build", "running"),
      build_started_at_iso: iso(0),
    });
    await other.receive(pipelineJob(102, "lint", "build", "failed"));
    await other.receive(pipelineJob(103, "format", "build", "pending"));
    const { jobs, halts } = await other.demand.listPipelineDemand(other.clock.now(), since);
    expect(
      estimateFutureJobs({ jobs, halts, durations: new Map(), now: other.clock.now() }),
    ).toEqual([]);
  });

  // The retry's success takes it out of the listing: only the lift keeps the pipeline going.
  it("lifts the halt once the retry of the failed job has succeeded", async () => {
    const { clock, demand, receive } = setup();
    const pipelineJob = (id: number, name: string, stage: string, status: string) =>
      hook({ build_id: id, build_name: name, build_stage: stage, build_status: status });
    await receive(pipelineJob(201, "rspec", "test", "created"));
    await receive({
      ...pipelineJob(101, "compile", "build", "running"),
      build_started_at_iso: iso(0),
    });
    await receive(pipelineJob(102, "lint", "build", "failed"));
    await receive({ ...pipelineJob(103, "lint", "build", "running"), retries_count: 1 });
    await receive({ ...pipelineJob(103, "lint", "build", "success"), retries_count: 1 });

    const { jobs, halts } = await demand.listPipelineDemand(clock.now(), since);

    expect(halts).toEqual([]);
    expect(
      estimateFutureJobs({ jobs, halts, durations: new Map(), now: clock.now() }).map(
        (job) => job.job.jobId,
      ),
    ).toEqual([201]);
  });

  it("lifts no halt for a success that is no retry, nor for a retry of another job", async () => {
    const { clock, demand, receive } = setup();
    const pipelineJob = (id: number, name: string, stage: string, status: string) =>
      hook({ build_id: id, build_name: name, build_stage: stage, build_status: status });
    await receive(pipelineJob(102, "lint", "build", "failed"));
    await receive({ ...pipelineJob(103, "compile", "build", "success"), retries_count: 0 });
    await receive({ ...pipelineJob(104, "format", "build", "success"), retries_count: 1 });
    await receive({ ...pipelineJob(105, "lint", "test", "success"), retries_count: 1 });

    const { halts } = await demand.listPipelineDemand(clock.now(), since);

    expect(halts).toMatchObject([{ jobId: 102, name: "lint", stage: "build" }]);
  });

  it("lists the halt again when the retry fails too", async () => {
    const { clock, demand, receive } = setup();
    const pipelineJob = (id: number, status: string, retries: number) => ({
      ...hook({ build_id: id, build_name: "lint", build_stage: "build", build_status: status }),
      retries_count: retries,
    });
    await receive(pipelineJob(102, "failed", 0));
    clock.advance(1);
    await receive(pipelineJob(103, "success", 1));
    clock.advance(1);
    await receive(pipelineJob(104, "failed", 2));

    const { halts } = await demand.listPipelineDemand(clock.now(), since);

    expect(halts).toMatchObject([{ jobId: 104 }]);
  });
});

describe("receiveJobWebhook: durations of successful jobs", () => {
  it("records a success's build_duration once, under its project and history name", async () => {
    const { receive, history, allHistories } = setup();

    const outcome = await receive(succeeded(61.2345678, { build_name: "test 2/3" }));

    expect(outcome.kind).toBe("recorded");
    // Kept to the microsecond, as the hook's parse rounds it.
    expect(await history("test")).toEqual([61.234568]);
    expect(await history("test 1/3")).toEqual([61.234568]);
    expect(await allHistories()).toEqual({ [`${PROJECT}#test`]: [61.234568] });
    expect(await history("test", PROJECT + 1)).toBeUndefined();
  });

  it("adds each job's success to its history, newest first", async () => {
    const { receive, history } = setup();

    await receive(succeeded(30, { build_id: 1, build_name: "rspec 1/2" }));
    await receive(succeeded(40, { build_id: 2, build_name: "rspec 2/2" }));
    await receive(succeeded(0, { build_id: 3, build_name: "rspec" }));

    expect(await history("rspec")).toEqual([0, 40, 30]);
  });

  it("records one sample for the same success delivered twice", async () => {
    const { receive, history } = setup();
    const body = JSON.stringify(succeeded(90));
    const headers = { "idempotency-key": "same-delivery" };

    const first = await receive(body, headers);
    const again = await receive(body, headers);
    // A redelivery GitLab numbers anew, and with another duration: still the same job's success.
    const anew = await receive(succeeded(95));

    expect([first.kind, again.kind, anew.kind]).toEqual(["recorded", "unchanged", "unchanged"]);
    expect(await history("test")).toEqual([90]);
  });

  it("records nothing for hooks that arrive after the job's success", async () => {
    const { receive, history } = setup();
    await receive(succeeded(90));

    const late = [
      await receive(hook({ build_status: "running", build_duration: 5 })),
      await receive(hook({ build_status: "pending", build_duration: null })),
      await receive(hook({ build_status: "created" })),
    ];

    expect(late.map((outcome) => outcome.kind)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(await history("test")).toEqual([90]);
  });

  it("records a success that arrives after the job's earlier hooks", async () => {
    const { receive, history } = setup();
    await receive(hook({ build_status: "pending" }));
    await receive(hook({ build_status: "running", build_duration: 3 }));

    await receive(succeeded(120));

    expect(await history("test")).toEqual([120]);
  });

  it.each([
    ["build_duration null", succeeded(null)],
    ["no build_duration", succeeded(undefined)],
    ["no build_name", succeeded(60, { build_name: undefined })],
  ])("records no duration for a success with %s", async (_, body) => {
    const { receive, allHistories } = setup();

    const outcome = await receive(body);

    expect(outcome.kind).toBe("recorded");
    expect(await allHistories()).toEqual({});
  });

  it.each(["failed", "canceled", "running", "canceling"])(
    "records no duration for a job that is %s, whatever its build_duration",
    async (status) => {
      const { receive, allHistories } = setup();

      const outcome = await receive(hook({ build_status: status, build_duration: 60 }));

      expect(outcome.kind).toBe("recorded");
      expect(await allHistories()).toEqual({});
    },
  );
});

describe("receiveJobWebhook: a bad request changes neither halts nor durations", () => {
  const failedAndSucceeded = [hook({ build_status: "failed" }), succeeded(60)];

  it.each([
    [
      "a wrong token",
      (body: unknown) => [body, { "x-gitlab-token": "wrong" }] as const,
      "unauthorized",
    ],
    [
      "another event",
      (body: unknown) => [body, { "x-gitlab-event": "Pipeline Hook" }] as const,
      "ignored",
    ],
    [
      "a form body",
      (body: unknown) => [body, { "content-type": "application/x-www-form-urlencoded" }] as const,
      "rejected",
    ],
    [
      "truncated JSON",
      (body: unknown) => [JSON.stringify(body).slice(0, -1), {}] as const,
      "rejected",
    ],
    [
      "no build_id",
      (body: unknown) => [{ ...(body as object), build_id: undefined }, {}] as const,
      "rejected",
    ],
    [
      "a negative build_duration",
      (body: unknown) => [{ ...(body as object), build_duration: -1 }, {}] as const,
      "rejected",
    ],
    [
      "an infinite build_duration",
      (body: unknown) =>
        [
          JSON.stringify(body).replace(/"build_duration":[^,}]*/, '"build_duration":1e400'),
          {},
        ] as const,
      "rejected",
    ],
    [
      "a build_duration as text",
      (body: unknown) => [{ ...(body as object), build_duration: "60" }, {}] as const,
      "rejected",
    ],
    [
      "a non-boolean build_allow_failure",
      (body: unknown) => [{ ...(body as object), build_allow_failure: "no" }, {}] as const,
      "rejected",
    ],
    [
      "an unknown status",
      (body: unknown) => [{ ...(body as object), build_status: "exploded" }, {}] as const,
      "ignored",
    ],
  ])("%s", async (_, spoil, kind) => {
    const { demand, clock, receive, halts, allHistories } = setup();

    const outcomes = [];
    for (const body of failedAndSucceeded) {
      const [spoiled, headers] = spoil(body);
      outcomes.push(await receive(spoiled, headers));
    }

    expect(outcomes.map((outcome) => outcome.kind)).toEqual([kind, kind]);
    expect(await halts()).toEqual([]);
    expect(await allHistories()).toEqual({});
    expect(await demand.listJobs(clock.now())).toEqual([]);
  });
});
