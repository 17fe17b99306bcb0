import type { JobsApi } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { stateWorlds } from "../../../test/support/state-worlds";
import {
  DEFAULT_RECONCILE_LIMITS,
  GitLabApiError,
  groupsOfPools,
  observeJobProgress,
  progressOfJob,
  RETRY_CLAIM_SECONDS,
  reconcileDemand,
  runScalerPass,
} from "../src/index";

describe.each(stateWorlds())("reconcileDemand, state %s", (_, makeWorld) => {
  /** A world where project 7 sent hooks, then GitLab created jobs whose hooks never arrived. */
  const withLostHooks = async () => {
    const world = await makeWorld();
    await world.demand.noteProjectActivity(7, world.clock.now());
    world.gitlab.jobs.set(61, { id: 61, projectId: 7, status: "pending", tagList: ["linux"] });
    world.gitlab.jobs.set(62, { id: 62, projectId: 7, status: "pending", tagList: ["gpu"] });
    return world;
  };

  describe("reconcileDemand", () => {
    it("recovers jobs whose webhooks were lost, so the next scaler pass serves them", async () => {
      const world = await withLostHooks();

      const report = await reconcileDemand(world.deps);
      const scaled = await runScalerPass(world.deps);

      expect([...report.lostJobsRecorded].sort()).toEqual([61, 62]);
      expect(scaled.pools.map((pool) => [pool.pool, pool.launched])).toEqual([
        ["linux-arm", 1],
        ["gpu", 1],
      ]);
      // Tags came with the listing: no extra job read.
      expect(world.gitlab.calls.getJob).toBe(0);
    });

    it("does not record again what it already knows", async () => {
      const world = await withLostHooks();
      await reconcileDemand(world.deps);

      const again = await reconcileDemand(world.deps);

      expect(again.lostJobsRecorded).toEqual([]);
    });

    it("closes a job we believe pending that GitLab has moved on", async () => {
      const world = await makeWorld();
      await world.addPendingJob(63, ["linux"]);
      await world.demand.noteProjectActivity(5, world.clock.now());
      world.gitlab.jobs.set(63, { id: 63, projectId: 5, status: "canceled", tagList: ["linux"] });
      world.advance(60); // long past any hook in flight

      const report = await reconcileDemand(world.deps);

      expect(report.staleJobsClosed).toEqual([63]);
      expect(await world.demand.listPendingJobs(world.clock.now())).toEqual([]);
    });

    it("closes a job our runner took with that runner, so the runner is busy before the late hook comes", async () => {
      const world = await makeWorld();
      await world.addPendingJob(65, ["linux"]);
      await world.demand.noteProjectActivity(5, world.clock.now());
      await runScalerPass(world.deps);
      const [runner] = await world.runners.listLive();
      world.advance(60);
      const taken = world.gitlab.model.requestJob(runner?.gitlabRunnerId ?? Number.NaN);

      const report = await reconcileDemand(world.deps);
      const [closed] = await world.demand.listJobs(world.clock.now());
      const progress = closed && progressOfJob(closed);
      await observeJobProgress(world.deps, progress ? [progress] : []);

      expect(taken?.id).toBe(65);
      expect(report.staleJobsClosed).toEqual([65]);
      expect(closed).toMatchObject({ status: "running", runnerId: runner?.gitlabRunnerId });
      expect(await world.runners.get(runner?.name ?? "")).toMatchObject({
        state: "busy",
        jobId: 65,
      });
    });

    it("leaves a job that became pending moments ago for a later pass: its hook may be on its way", async () => {
      const world = await makeWorld();
      await world.addPendingJob(64, ["linux"]);
      await world.demand.noteProjectActivity(5, world.clock.now());
      world.gitlab.jobs.set(64, { id: 64, projectId: 5, status: "running", tagList: ["linux"] });
      world.advance(5);

      const report = await reconcileDemand(world.deps);

      expect(report.staleJobsClosed).toEqual([]);
      expect(world.gitlab.calls.getJob).toBe(0);
    });

    it("finds a project's oldest lost jobs first when it has more pending jobs than one listing reads", async () => {
      const world = await makeWorld();
      await world.demand.noteProjectActivity(5, world.clock.now());
      // GitLab lists 71..75 newest first; the hooks of the two oldest were lost.
      for (const id of [71, 72]) {
        world.gitlab.jobs.set(id, { id, projectId: 5, status: "pending", tagList: ["linux"] });
      }
      for (const id of [73, 74, 75]) await world.addPendingJob(id, ["linux"]);

      const report = await reconcileDemand(world.deps, {
        ...DEFAULT_RECONCILE_LIMITS,
        jobsPerProject: 2,
      });

      expect([...report.lostJobsRecorded].sort()).toEqual([71, 72]);
      expect(world.gitlab.calls.listPendingJobs).toBe(1);
      // A listing cut at the limit proves nothing about the jobs it left out.
      expect(report.staleJobsClosed).toEqual([]);
      expect(
        (await world.demand.listPendingJobs(world.clock.now())).map((job) => job.jobId),
      ).toEqual(expect.arrayContaining([71, 72, 73, 74, 75]));
    });

    it("records a job we believe pending that GitLab answers 404 for as not_visible, not canceled", async () => {
      const world = await makeWorld();
      await world.addPendingJob(66, ["linux"]);
      await world.demand.noteProjectActivity(5, world.clock.now());
      world.gitlab.jobs.delete(66);
      world.advance(60);

      const report = await reconcileDemand(world.deps);

      expect(report).toMatchObject({ jobsNotVisible: [66], staleJobsClosed: [] });
      expect(await world.demand.listJobs(world.clock.now())).toEqual([
        expect.objectContaining({ jobId: 66, status: "not_visible", closedReason: "gitlab_404" }),
      ]);
    });

    it("suspects the webhook when GitLab has pending jobs and no hook came for too long", async () => {
      const world = await makeWorld();
      await world.addPendingJob(64, ["linux"]);
      await world.demand.noteProjectActivity(5, world.clock.now());
      world.advance(901);

      const report = await reconcileDemand(world.deps);

      expect(report).toMatchObject({
        webhookSuspect: true,
        lastHookAgeSeconds: 901,
        lostJobsRecorded: [],
      });
    });

    it("is quiet when hooks flow and nothing was lost", async () => {
      const world = await makeWorld();
      await world.addPendingJob(65, ["linux"]);
      await world.demand.noteProjectActivity(5, world.clock.now());

      expect(await reconcileDemand(world.deps)).toMatchObject({
        webhookSuspect: false,
        gitlabPendingJobs: 1,
      });
    });

    describe("with our webhook's URL, reading project hooks", () => {
      const url = "https://abc123.execute-api.eu-central-1.amazonaws.com/webhook";
      /** Project 5's last hook came 6 minutes ago: long enough to ask whether its hook still works. */
      const quietWorld = async () => {
        const world = await makeWorld();
        await world.demand.noteProjectActivity(5, world.clock.now());
        world.advance(360);
        return world;
      };
      const withWebhook = (world: Awaited<ReturnType<typeof quietWorld>>) => ({
        ...world.deps,
        webhook: { url, hooks: world.gitlab },
      });

      it("sees at once that GitLab disabled our hook", async () => {
        const world = await quietWorld();
        world.gitlab.hooks.set(5, [
          { url: "https://chat.example.com/hook", alertStatus: "disabled" },
          {
            url: `${url}/`,
            alertStatus: "temporarily_disabled",
            disabledUntil: "2026-11-29T10:10:00Z",
          },
        ]);

        const report = await reconcileDemand(withWebhook(world));

        expect(report).toMatchObject({
          webhookSuspect: true,
          disabledHooks: [
            {
              projectId: 5,
              alertStatus: "temporarily_disabled",
              disabledUntil: "2026-11-29T10:10:00Z",
            },
          ],
        });
      });

      it("is quiet when our hook is executable, another hook's state is not ours to report", async () => {
        const world = await quietWorld();
        world.gitlab.hooks.set(5, [
          { url, alertStatus: "executable" },
          { url: "https://chat.example.com/hook", alertStatus: "disabled" },
        ]);

        expect(await reconcileDemand(withWebhook(world))).toMatchObject({
          webhookSuspect: false,
          disabledHooks: [],
        });
      });

      it("skips projects whose hooks the token may not read", async () => {
        const world = await quietWorld(); // no hooks entry: the in-memory GitLab answers as for a 403

        const report = await reconcileDemand(withWebhook(world));

        expect(report).toMatchObject({ webhookSuspect: false, disabledHooks: [] });
        expect(world.gitlab.calls.listProjectHooks).toBe(1);
      });

      it("reads no hooks of a project whose hook just delivered: it evidently works", async () => {
        const world = await makeWorld();
        await world.demand.noteProjectActivity(5, world.clock.now());
        world.gitlab.hooks.set(5, [{ url, alertStatus: "disabled" }]);

        await reconcileDemand(withWebhook(world));

        expect(world.gitlab.calls.listProjectHooks).toBe(0);
      });

      it("reads every quiet project's hooks in turn, however many there are", async () => {
        const world = await makeWorld();
        const projects = [11, 12, 13, 14, 15, 16, 17];
        for (const projectId of projects) {
          await world.demand.noteProjectActivity(projectId, world.clock.now());
          world.gitlab.hooks.set(projectId, [{ url, alertStatus: "executable" }]);
        }
        // Only the last one's hook is disabled: the few most recently active are others.
        world.gitlab.hooks.set(17, [{ url, alertStatus: "disabled" }]);
        world.advance(360);

        const found = new Set<number>();
        let passes = 0;
        for (; passes < 5 && found.size === 0; passes++) {
          const report = await reconcileDemand(withWebhook(world));
          for (const hook of report.disabledHooks) if (hook.projectId) found.add(hook.projectId);
          world.advance(60);
        }

        expect([...found]).toEqual([17]);
        expect(passes).toBeLessThanOrEqual(Math.ceil(projects.length / 3));
      });

      it("sees a disabled group hook of a group pool's group, whether or not its projects are quiet", async () => {
        const world = await makeWorld();
        await world.demand.noteProjectActivity(5, world.clock.now());
        world.gitlab.model.groupHooks.set(42, [{ url, alertStatus: "disabled" }]);

        const report = await reconcileDemand({
          ...world.deps,
          webhook: { url, hooks: world.gitlab, groupIds: groupsOfPools(world.deps.config.pools) },
        });

        expect(report).toMatchObject({
          webhookSuspect: true,
          disabledHooks: [{ groupId: 42, alertStatus: "disabled" }],
        });
        expect(world.gitlab.calls.listGroupHooks).toBe(1);
      });

      it("reads no hooks without our URL", async () => {
        const world = await quietWorld();
        world.gitlab.hooks.set(5, [{ url, alertStatus: "disabled" }]);

        await reconcileDemand(world.deps);

        expect(world.gitlab.calls.listProjectHooks).toBe(0);
      });
    });

    it("still closes the stale jobs of the projects listed when another project's listing draws a 429", async () => {
      const world = await makeWorld();
      await world.addPendingJob(63, ["linux"]);
      await world.demand.noteProjectActivity(5, world.clock.now());
      await world.demand.noteProjectActivity(7, world.clock.now());
      world.gitlab.jobs.set(63, { id: 63, projectId: 5, status: "canceled", tagList: ["linux"] });
      world.advance(60);
      const throttled = new GitLabApiError("GitLab GET /projects/7/jobs answered 429", 429, 30);
      const { gitlab } = world;
      const jobsApi: JobsApi = {
        getJob: (projectId, jobId) => gitlab.getJob(projectId, jobId),
        listPendingJobs: (projectId, limit) =>
          projectId === 7 ? Promise.reject(throttled) : gitlab.listPendingJobs(projectId, limit),
        listNewestWaitingJobs: (projectId, limit) => gitlab.listNewestWaitingJobs(projectId, limit),
        projectGroupIds: (projectId) => gitlab.projectGroupIds(projectId),
        retryJob: (projectId, jobId) => gitlab.retryJob(projectId, jobId),
      };

      const report = await reconcileDemand({ ...world.deps, jobsApi });

      expect(report).toMatchObject({ rateLimited: true, staleJobsClosed: [63] });
    });

    it("makes the retries owed after spot interruptions whatever the project listings answer", async () => {
      const world = await makeWorld();
      world.gitlab.jobs.set(64, { id: 64, projectId: 5, status: "failed", tagList: ["linux"] });
      await world.demand.recordJobEvent(
        { jobId: 64, projectId: 5, status: "failed", runnerId: 9 },
        world.clock.now(),
        { interrupted: true },
      );
      // A claim whose invocation died, a minute and more ago.
      await world.demand.claimJobRetry(64, world.clock.now());
      await world.demand.noteProjectActivity(5, world.clock.now());
      world.advance(RETRY_CLAIM_SECONDS + 1);
      const throttled = new GitLabApiError("GitLab GET /projects/5/jobs answered 429", 429, 30);
      const { gitlab } = world;
      const jobsApi: JobsApi = {
        getJob: (projectId, jobId) => gitlab.getJob(projectId, jobId),
        listPendingJobs: () => Promise.reject(throttled),
        listNewestWaitingJobs: (projectId, limit) => gitlab.listNewestWaitingJobs(projectId, limit),
        projectGroupIds: (projectId) => gitlab.projectGroupIds(projectId),
        retryJob: (projectId, jobId) => gitlab.retryJob(projectId, jobId),
      };

      const report = await reconcileDemand({ ...world.deps, jobsApi });

      expect(report).toMatchObject({ rateLimited: true, retriesResumed: [expect.any(Number)] });
      expect(world.gitlab.jobs.get(report.retriesResumed[0]!)).toMatchObject({ status: "pending" });
    });

    it("stops asking GitLab for the pass when it answers 429", async () => {
      const world = await withLostHooks();
      world.gitlab.failures.push(429);

      const report = await reconcileDemand(world.deps);

      expect(report).toMatchObject({ rateLimited: true, lostJobsRecorded: [] });
    });
  });
});
