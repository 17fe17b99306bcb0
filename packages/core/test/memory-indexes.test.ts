import type {
  InstanceState,
  JobEvent,
  JobRecord,
  JobStatus,
  RunnerRecord,
  RunnerState,
} from "@ger/core/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import { configInput } from "../../../test/support/config";
import { runnerMayTake } from "../src/adapters/memory/gitlab-job-matching";
import {
  GitlabModel,
  type GitlabModelJob,
  type GitlabModelRunner,
  InMemoryCompute,
  InMemoryDemandStore,
  InMemoryRunnerStore,
  parseAutoscalerConfig,
} from "../src/index";
import type { GitlabJobStatus } from "../src/jobs/job-status";

/**
 * The in-memory adapters answer from indexes; each property plays random operations (direct
 * writes to the public maps included) and checks every answer against a scan of all records.
 */

/** Picks one of `items` by a generated number; undefined when there are none. */
const nth = <T>(items: readonly T[], pick: number): T | undefined => items[pick % items.length];

describe("GitlabModel's indexes", () => {
  const PROJECTS = [1, 2, 3, 4];
  const groupOfProject: Record<number, number | undefined> = { 1: 42, 2: 42, 3: 43 };
  const tags = fc.subarray(["linux", "gpu", "arm"]);
  const status = fc.constantFrom<GitlabJobStatus>("created", "pending", "running", "canceled");
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("createRunner" as const),
      scope: fc.constantFrom("instance_type", "group_type", "project_type"),
      tags,
      runUntagged: fc.boolean(),
      owner: fc.nat(),
    }),
    fc.record({ kind: fc.constant("deleteRunner" as const), pick: fc.nat() }),
    fc.record({
      kind: fc.constant("enqueue" as const),
      projectId: fc.constantFrom(...PROJECTS),
      tags,
      pending: fc.boolean(),
      // A test naming the id: anywhere, below jobs GitLab has already made too.
      id: fc.option(fc.integer({ min: 1, max: 40 }), { freq: 4 }),
    }),
    fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("request" as const), pick: fc.nat() }),
    fc.record({
      kind: fc.constant("finish" as const),
      pick: fc.nat(),
      status: fc.constantFrom("success" as const, "failed" as const, "canceled" as const),
    }),
    fc.record({ kind: fc.constant("retry" as const), pick: fc.nat() }),
    // As tests do: a job written straight into the map, new or moved on, by no model method.
    fc.record({
      kind: fc.constant("setDirect" as const),
      id: fc.integer({ min: 1, max: 40 }),
      existing: fc.boolean(),
      status,
      projectId: fc.constantFrom(...PROJECTS),
      runner: fc.option(fc.nat()),
    }),
    fc.record({ kind: fc.constant("deleteDirect" as const), pick: fc.nat() }),
    // POST /runners/:id/reset_authentication_token, as a test would play it: straight in the map.
    fc.record({ kind: fc.constant("resetToken" as const), pick: fc.nat() }),
    fc.record({
      kind: fc.constant("clear" as const),
      table: fc.constantFrom("jobs" as const, "runners" as const),
    }),
  );

  const scan = (model: GitlabModel) => {
    const jobs = [...model.jobs.values()];
    const newestFirst = (include: (job: GitlabModelJob) => boolean) =>
      jobs.filter(include).sort((a, b) => b.id - a.id);
    const groupOf = (projectId: number) => model.projects.get(projectId)?.groupId;
    return {
      take: (runner: GitlabModelRunner) =>
        jobs
          .filter((job) => job.status === "pending" && runnerMayTake(runner, job, groupOf))
          .sort((a, b) => a.id - b.id)[0],
      listJobs: (projectId: number, statuses: readonly string[]) =>
        newestFirst(
          (job) =>
            job.projectId === projectId && (statuses.length === 0 || statuses.includes(job.status)),
        ),
      jobsOfRunner: (runnerId: number, status?: string) =>
        newestFirst(
          (job) => job.runnerId === runnerId && (status === undefined || job.status === status),
        ),
    };
  };

  /** Every read the indexes serve, against the scan. */
  const expectInStep = (
    model: GitlabModel,
    everRunners: readonly GitlabModelRunner[],
    everTokens: readonly string[],
  ) => {
    const naive = scan(model);
    for (const projectId of PROJECTS)
      for (const statuses of [[], ["pending"], ["running", "pending"], ["canceled", "canceled"]])
        expect(model.listJobs(projectId, statuses)).toEqual(naive.listJobs(projectId, statuses));
    for (const runner of everRunners) {
      expect(model.jobsOfRunner(runner.id)).toEqual(naive.jobsOfRunner(runner.id));
      expect(model.jobsOfRunner(runner.id, "running")).toEqual(
        naive.jobsOfRunner(runner.id, "running"),
      );
    }
    for (const token of everTokens)
      expect(model.runnerByToken(token)).toBe(
        [...model.runners.values()].find((runner) => runner.token === token),
      );
  };

  it("answers requestJob, listings, a runner's jobs and tokens as a scan of every record would", () => {
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 10, maxLength: 80, size: "max" }),
        fc.integer({ min: 1, max: 30 }),
        (ops, firstJobId) => {
          const model = new GitlabModel({ clock: { now: () => SUNDAY_MORNING }, firstJobId });
          const everRunners: GitlabModelRunner[] = [];
          const everTokens: string[] = [];
          let highestId = firstJobId - 1;
          const jobsWhere = (include: (job: GitlabModelJob) => boolean) =>
            [...model.jobs.values()].filter(include);

          for (const step of ops) {
            switch (step.kind) {
              case "createRunner": {
                const projectId = nth(PROJECTS, step.owner) ?? 1;
                const created = model.createRunner({
                  runnerType: step.scope,
                  ...(step.scope === "group_type" && { groupId: 42 + (step.owner % 2) }),
                  ...(step.scope === "project_type" && { projectId }),
                  description: `runner-${everRunners.length}`,
                  tagList: step.tags,
                  runUntagged: step.runUntagged,
                  accessLevel: "not_protected",
                });
                everRunners.push(created);
                everTokens.push(created.token);
                break;
              }
              case "deleteRunner": {
                const runner = nth([...model.runners.values()], step.pick);
                if (runner) model.deleteRunner(runner.id);
                break;
              }
              case "enqueue": {
                const request = {
                  projectId: step.projectId,
                  ...(groupOfProject[step.projectId] !== undefined && {
                    groupId: groupOfProject[step.projectId],
                  }),
                  tags: step.tags,
                  pending: step.pending,
                  ...(step.id !== null && { id: step.id }),
                };
                if (step.id !== null && model.jobs.has(step.id)) {
                  expect(() => model.enqueue(request)).toThrow("already");
                  break;
                }
                const job = model.enqueue(request);
                // GitLab never reuses an id, even one whose job was deleted since.
                expect(job.id).toBe(step.id ?? highestId + 1);
                highestId = Math.max(highestId, job.id);
                break;
              }
              case "release": {
                const job = nth(
                  jobsWhere((candidate) => candidate.status === "created"),
                  step.pick,
                );
                if (job) model.release(job.id);
                break;
              }
              case "request": {
                const runner = nth([...model.runners.values()], step.pick);
                if (!runner) break;
                const expected = scan(model).take(runner);
                expect(model.requestJob(runner.id)?.id).toBe(expected?.id);
                break;
              }
              case "finish": {
                const job = nth(
                  jobsWhere((candidate) =>
                    step.status === "canceled"
                      ? !["success", "failed", "canceled"].includes(candidate.status)
                      : candidate.status === "running",
                  ),
                  step.pick,
                );
                if (job) model.finishJob(job.id, step.status);
                break;
              }
              case "retry": {
                const job = nth(
                  jobsWhere(
                    (candidate) =>
                      !candidate.retried &&
                      ["success", "failed", "canceled"].includes(candidate.status),
                  ),
                  step.pick,
                );
                if (job) highestId = Math.max(highestId, model.retryJob(job.projectId, job.id).id);
                break;
              }
              case "setDirect": {
                const id = (step.existing && nth([...model.jobs.keys()], step.id)) || step.id;
                const runnerId =
                  step.runner === null ? undefined : nth(everRunners, step.runner)?.id;
                const { runnerId: _, ...job } = model.jobs.get(id) ?? { tagList: [] };
                model.jobs.set(id, {
                  ...job,
                  id,
                  projectId: step.projectId,
                  status: step.status,
                  ...(runnerId !== undefined && { runnerId }),
                });
                highestId = Math.max(highestId, id);
                break;
              }
              case "deleteDirect": {
                const job = nth([...model.jobs.values()], step.pick);
                if (job) model.jobs.delete(job.id);
                break;
              }
              case "resetToken": {
                const runner = nth([...model.runners.values()], step.pick);
                if (!runner) break;
                const token = `glrt-reset-${everTokens.length}`;
                model.runners.set(runner.id, { ...runner, token });
                everTokens.push(token);
                break;
              }
              case "clear":
                model[step.table].clear();
                break;
            }
            expectInStep(model, everRunners, everTokens);
          }
        },
      ),
    );
  });
});

describe("InMemoryDemandStore's pending index", () => {
  const DAY = 24 * 3600;
  const statuses: JobStatus[] = [
    "created",
    "manual",
    "pending",
    "running",
    "canceling",
    "success",
    "failed",
    "not_visible",
  ];
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("event" as const),
      jobId: fc.integer({ min: 1, max: 8 }),
      status: fc.constantFrom(...statuses),
      // Few distinct instants, so that ties fall to the job id; none at all falls to receipt.
      createdAt: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 4 }),
    }),
    fc.record({
      kind: fc.constant("annotate" as const),
      jobId: fc.integer({ min: 1, max: 9 }),
      tags: fc.subarray(["linux", "gpu"]),
    }),
    fc.record({ kind: fc.constant("claim" as const), jobId: fc.integer({ min: 1, max: 9 }) }),
    fc.record({ kind: fc.constant("settle" as const), jobId: fc.integer({ min: 1, max: 9 }) }),
    // Time passes: mostly not at all, sometimes past a finished job's or an unfinished one's TTL.
    fc.record({
      kind: fc.constant("wait" as const),
      seconds: fc.constantFrom(0, 1, 60, 3 * DAY, 8 * DAY, 31 * DAY),
    }),
  );

  const oldestFirst = (a: JobRecord, b: JobRecord) => {
    const since = (job: JobRecord) => job.createdAt ?? job.updatedAt;
    if (since(a) !== since(b)) return since(a) < since(b) ? -1 : 1;
    return a.jobId - b.jobId;
  };

  const owedFirst = (a: JobRecord, b: JobRecord) => {
    const since = (job: JobRecord) => job.retryDueSince as string;
    if (since(a) !== since(b)) return since(a) < since(b) ? -1 : 1;
    return a.jobId - b.jobId;
  };

  it("lists exactly the unexpired pending jobs, and retries owed, of listJobs, oldest first, as they are now", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 60, size: "max" }), async (ops) => {
        const store = new InMemoryDemandStore();
        let now = SUNDAY_MORNING;
        for (const step of ops) {
          if (step.kind === "event") {
            const event: JobEvent = {
              jobId: step.jobId,
              projectId: 5,
              status: step.status,
              ...(step.createdAt !== null && {
                createdAt: new Date(SUNDAY_MORNING.getTime() + step.createdAt * 1000).toISOString(),
              }),
            };
            await store.recordJobEvent(event, now);
          } else if (step.kind === "annotate")
            await store.annotateJob(step.jobId, { tags: step.tags });
          else if (step.kind === "claim") await store.claimJobRetry(step.jobId, now);
          else if (step.kind === "settle") await store.settleJobRetry(step.jobId, { retriedAs: 1 });
          else now = new Date(now.getTime() + step.seconds * 1000);

          const pending = await store.listPendingJobs(now);
          const all = await store.listJobs(now);
          expect(pending).toEqual(all.filter((job) => job.status === "pending").sort(oldestFirst));
          expect(await store.listRetriesDue(now)).toEqual(
            all.filter((job) => job.retryDueSince !== undefined).sort(owedFirst),
          );
          expect(all.every((job) => job.expiresAt > now.getTime() / 1000)).toBe(true);
        }
      }),
    );
  });
});

describe("InMemoryRunnerStore's live index", () => {
  const NAMES = ["a-1", "a-2", "a-3", "b-1", "b-2", "b-3"];
  const caps = { poolMaxInstances: 2, globalMaxInstances: 3 };
  const states = fc.subarray<RunnerState>(["reserved", "registered", "busy", "finished", "gone"], {
    minLength: 1,
  });
  const op = fc.oneof(
    fc.record({ kind: fc.constant("reserve" as const), name: fc.constantFrom(...NAMES) }),
    fc.record({
      kind: fc.constant("transition" as const),
      name: fc.constantFrom(...NAMES),
      from: states,
      to: fc.constantFrom<RunnerState>("registered", "busy", "finished"),
    }),
    fc.record({
      kind: fc.constant("release" as const),
      name: fc.constantFrom(...NAMES),
      from: states,
    }),
  );

  /** The store as a scan over every record, gone ones included: what the indexes must equal. */
  class ScanningStore {
    readonly records = new Map<string, RunnerRecord>();
    live = () => [...this.records.values()].filter((runner) => runner.state !== "gone");
  }

  it("lists the runners not gone, in reservation order, and still reads the gone ones", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 50, size: "max" }), async (ops) => {
        const store = new InMemoryRunnerStore();
        const naive = new ScanningStore();
        const at = SUNDAY_MORNING;
        for (const step of ops) {
          const known = naive.records.get(step.name);
          if (step.kind === "reserve") {
            const runner: RunnerRecord = {
              name: step.name,
              pool: step.name.slice(0, 1),
              state: "reserved",
              createdAt: at.toISOString(),
              updatedAt: at.toISOString(),
            };
            if (known) {
              await expect(store.reserve(runner, caps)).rejects.toThrow("exists already");
              continue;
            }
            const outcome = await store.reserve(runner, caps);
            if (outcome === "reserved") naive.records.set(step.name, runner);
          } else if (step.kind === "transition") {
            const moves = known && known.state !== "gone" && step.from.includes(known.state);
            const moved = await store.transition(step.name, step.from, { state: step.to }, at);
            expect(moved?.state).toBe(moves ? step.to : undefined);
            if (moved) naive.records.set(step.name, moved);
          } else {
            const retires = known && known.state !== "gone" && step.from.includes(known.state);
            expect(await store.release(step.name, step.from, at)).toBe(Boolean(retires));
            if (known && retires) naive.records.set(step.name, { ...known, state: "gone" });
          }

          expect(await store.listLive()).toEqual(naive.live());
          for (const name of NAMES)
            expect((await store.get(name))?.state).toBe(naive.records.get(name)?.state);
          expect((await store.ledger()).global).toBe(naive.live().length);
        }
      }),
    );
  });
});

describe("InMemoryCompute's indexes", () => {
  const [pool] = parseAutoscalerConfig(configInput()).pools;
  const LAUNCHES = ["r-1", "r-2", "r-3", "r-4", "r-5"];
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("launch" as const),
      launchId: fc.constantFrom(...LAUNCHES),
      count: fc.integer({ min: 1, max: 3 }),
    }),
    fc.record({
      kind: fc.constant("terminate" as const),
      picks: fc.array(fc.nat(), { maxLength: 3 }),
      unknown: fc.boolean(),
    }),
    // As the local stack's simulated instances and tests do: the state set straight.
    fc.record({
      kind: fc.constant("setState" as const),
      pick: fc.nat(),
      state: fc.constantFrom<InstanceState>("running", "shutting-down", "terminated"),
    }),
  );

  it("lists the instances not terminated and answers a repeated launch with its instances, as a scan would", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 50, size: "max" }), async (ops) => {
        const compute = new InMemoryCompute({ now: () => SUNDAY_MORNING });
        const all = () => [...compute.instances.values()];
        const notTerminated = () => all().filter((instance) => instance.state !== "terminated");
        const ids = (instances: readonly { instanceId: string }[]) =>
          instances.map((instance) => instance.instanceId);
        for (const step of ops) {
          if (step.kind === "launch") {
            const earlier = all().filter((instance) => instance.launchId === step.launchId);
            const result = await compute.launch({
              launchId: step.launchId,
              count: step.count,
              pool: pool!,
              waitTimeoutSeconds: 300,
            });
            if (result.kind !== "launched") throw new Error(`launch answered ${result.kind}`);
            const launched = ids(result.instances);
            if (earlier.length > 0) expect(launched).toEqual(ids(earlier));
            else expect(launched).toHaveLength(step.count);
          } else if (step.kind === "terminate") {
            const picked = step.picks.flatMap((pick) => nth(all(), pick)?.instanceId ?? []);
            await compute.terminate(step.unknown ? [...picked, "i-elsewhere"] : picked);
          } else {
            // A terminated instance stays terminated, in EC2 as here.
            const instance = nth(notTerminated(), step.pick);
            if (instance) instance.state = step.state;
          }

          expect(await compute.listInstances()).toEqual(
            notTerminated().map((instance) => ({
              instanceId: instance.instanceId,
              launchId: instance.launchId,
              pool: instance.pool,
              market: instance.market,
              state: instance.state,
              launchedAt: instance.launchedAt,
            })),
          );
        }
      }),
    );
  });
});
