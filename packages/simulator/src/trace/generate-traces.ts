import { SeededRandom } from "../random";
import type { TraceJob } from "./trace-job";

/*
 * Seeded sample traces: the same seed gives the same jobs on any machine. The model, and why:
 *
 * Work week, Monday 2099-11-23 to Friday 2099-11-27 (UTC), about 15,000 jobs: a team of a few
 * dozen engineers on ~20 projects (a week of a mid-sized GitLab group).
 * - Pipelines: 2–4 stages (build, test, scan, deploy), 1–6 jobs a stage, uniformly: 3 × 3.5 =
 *   10.5 jobs a pipeline on average, so 15,000 jobs are ~1,430 pipelines, 286 a weekday.
 * - Arrivals: a Poisson process whose rate follows the hour of day (HOURLY_WEIGHTS): ~90% of
 *   pipelines 08:00–18:00 UTC, half as many at lunch (12:00), a trickle at night (schedules,
 *   colleagues in other time zones). Whole seconds: a pipeline's jobs are created at once.
 * - Projects: 20, picked by Zipf's law (weight 1/rank): a few busy repositories, a long tail.
 * - Durations: CI jobs of one name in one project take similar times run after run (the same
 *   script on the same code), so each (project, stage name) pair, all `name i/n` slots of a
 *   stage included, has a typical duration drawn once from its own stream (TYPICAL_SEED_SALT):
 *   log-normal, median 3 min, p95 15 min across pairs (typical of CI jobs: many short lint and
 *   unit jobs, a tail of integration suites). A job takes its pair's typical duration times a
 *   per-run noise, log-normal with median 1 and p95 1.25 (warm or cold caches, runner and
 *   network load: within 25% in 95 runs of 100), capped at 1 h (a runner's maximum_timeout).
 *   The noise is the one draw per job the main stream always made, so arrivals, projects,
 *   shapes and tags do not depend on the duration model.
 * - Tags: 15% `docker;amd64` (the linux-x86 pool of week.config.json), 35% `docker;arm64` and
 *   50% untagged (both the linux-arm pool, which runs untagged jobs).
 * Burst, 1,000 untagged jobs of one project without pipelines, created uniformly within
 * 2099-11-24T10:00:00Z to 10:01:00Z (a matrix or a scripted fan-out), to the millisecond;
 * durations log-normal with median 2 min, p95 10 min.
 * Sparse day, Sunday 2099-11-22: 6 pipelines at uniform times of the day (~60 jobs), shaped and
 * tagged like the week's: scale-to-zero between lonely jobs.
 * Job ids and pipeline ids count from 1 in creation order.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const CAP_S = 3600;

const WEEK_START = Date.parse("2099-11-23T00:00:00Z");
const WEEKDAYS = 5;
const PIPELINES_PER_WEEKDAY = 286;
/** Relative pipeline arrival rate for each hour of the day, UTC. */
const HOURLY_WEIGHTS = [
  0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 2, 10, 10, 10, 10, 5, 10, 10, 10, 10, 6, 2, 2, 0.5, 0.5, 0.5,
  0.5,
] as const;
const WEIGHT_SUM = HOURLY_WEIGHTS.reduce((sum, weight) => sum + weight, 0);
const PROJECT_IDS = Array.from({ length: 20 }, (_, rank) => 101 + rank);
const STAGE_NAMES = ["build", "test", "scan", "deploy"] as const;

const BURST_START = Date.parse("2099-11-24T10:00:00Z");
const BURST_JOBS = 1000;
const BURST_WINDOW_MS = 60_000;
const BURST_PROJECT_ID = 201;

const SUNDAY = Date.parse("2099-11-22T00:00:00Z");
const SUNDAY_PIPELINES = 6;

const clampS = (seconds: number) => Math.max(1, Math.min(CAP_S, Math.round(seconds)));

const durationS = (random: SeededRandom, medianS: number, p95S: number) =>
  clampS(random.logNormal(medianS, p95S));

/** Salt of the typical durations' stream: `new SeededRandom(seed ^ TYPICAL_SEED_SALT)`. */
const TYPICAL_SEED_SALT = 0x5eed;

/** Typical duration (s, unrounded) of each (project, stage name) pair, all drawn up front. */
type TypicalDurations = (projectId: number, stageName: string) => number;

const typicalDurations = (seed: number): TypicalDurations => {
  const random = new SeededRandom(seed ^ TYPICAL_SEED_SALT);
  const typical = new Map<string, number>();
  for (const projectId of PROJECT_IDS)
    for (const stageName of STAGE_NAMES)
      typical.set(`${projectId}/${stageName}`, random.logNormal(180, 900));
  return (projectId, stageName) => typical.get(`${projectId}/${stageName}`) ?? 180;
};

const zipfProject = (random: SeededRandom): number => {
  const weights = PROJECT_IDS.map((_, rank) => 1 / (rank + 1));
  let draw = random.next() * weights.reduce((sum, weight) => sum + weight, 0);
  for (const [rank, weight] of weights.entries()) {
    draw -= weight;
    if (draw < 0) return PROJECT_IDS[rank] as number;
  }
  return PROJECT_IDS[0] as number;
};

const jobTags = (random: SeededRandom): string[] => {
  const draw = random.next();
  return draw < 0.15 ? ["docker", "amd64"] : draw < 0.5 ? ["docker", "arm64"] : [];
};

/** Pipelines created at these instants (oldest first), their jobs numbered in creation order. */
const stagedTrace = (
  random: SeededRandom,
  typical: TypicalDurations,
  createdAts: readonly number[],
): TraceJob[] => {
  const jobs: TraceJob[] = [];
  createdAts.forEach((createdAt, index) => {
    const projectId = zipfProject(random);
    const stages = 2 + Math.floor(random.next() * 3);
    for (let stage = 0; stage < stages; stage++) {
      const width = 1 + Math.floor(random.next() * 6);
      for (let slot = 1; slot <= width; slot++) {
        const stageName = STAGE_NAMES[stage] as string;
        jobs.push({
          jobId: jobs.length + 1,
          projectId,
          createdAt: new Date(createdAt),
          // One log-normal draw of the main stream per job, as ever: only its meaning changed.
          durationS: clampS(typical(projectId, stageName) * random.logNormal(1, 1.25)),
          tags: jobTags(random),
          pipelineId: index + 1,
          stage,
          name: width > 1 ? `${stageName} ${slot}/${width}` : stageName,
        });
      }
    }
  });
  return jobs;
};

/** A Poisson process whose rate is constant within each hour; arrivals to the whole second. */
const hourlyArrivals = (
  random: SeededRandom,
  start: number,
  hours: number,
  perHour: (hour: number) => number,
): number[] => {
  const arrivals: number[] = [];
  for (let hour = 0; hour < hours; hour++) {
    const gap = () => (-Math.log(1 - random.next()) / perHour(hour)) * HOUR_MS;
    for (let at = gap(); at < HOUR_MS; at += gap())
      arrivals.push(start + hour * HOUR_MS + Math.floor(at / 1000) * 1000);
  }
  return arrivals;
};

export const workWeek = (seed: number): TraceJob[] => {
  const random = new SeededRandom(seed);
  const perHour = (hour: number) =>
    (PIPELINES_PER_WEEKDAY * (HOURLY_WEIGHTS[hour % 24] ?? 0)) / WEIGHT_SUM;
  return stagedTrace(
    random,
    typicalDurations(seed),
    hourlyArrivals(random, WEEK_START, WEEKDAYS * 24, perHour),
  );
};

export const burst = (seed: number): TraceJob[] => {
  const random = new SeededRandom(seed);
  const createdAts = Array.from({ length: BURST_JOBS }, () =>
    Math.floor(BURST_START + random.next() * BURST_WINDOW_MS),
  ).sort((a, b) => a - b);
  return createdAts.map((createdAt, index) => ({
    jobId: index + 1,
    projectId: BURST_PROJECT_ID,
    createdAt: new Date(createdAt),
    durationS: durationS(random, 120, 600),
    tags: [],
  }));
};

export const sparseDay = (seed: number): TraceJob[] => {
  const random = new SeededRandom(seed);
  const createdAts = Array.from(
    { length: SUNDAY_PIPELINES },
    () => SUNDAY + Math.floor(random.next() * (DAY_MS / 1000)) * 1000,
  ).sort((a, b) => a - b);
  return stagedTrace(random, typicalDurations(seed), createdAts);
};

/** The checked-in sample traces (test/fixtures/traces/) and the seeds they are made from. */
export const SAMPLE_TRACES = [
  { file: "work-week.csv", seed: 20991123, generate: workWeek },
  { file: "burst.csv", seed: 20991124, generate: burst },
  { file: "sparse-day.csv", seed: 20991122, generate: sparseDay },
] as const;

const groupBy = <K>(jobs: readonly TraceJob[], key: (job: TraceJob) => K): Map<K, TraceJob[]> => {
  const groups = new Map<K, TraceJob[]>();
  for (const job of jobs) {
    const group = groups.get(key(job));
    if (group) group.push(job);
    else groups.set(key(job), [job]);
  }
  return groups;
};

/**
 * The most jobs running at once if every job started the moment it was pending (a later stage
 * once the earlier ones finished), counting those `counted` picks: what a pool must hold.
 */
export const peakConcurrency = (
  jobs: readonly TraceJob[],
  counted: (job: TraceJob) => boolean = () => true,
): number => {
  const pipelines = groupBy(jobs, (job) => job.pipelineId ?? -job.jobId);
  const events: [at: number, change: number][] = [];
  for (const pipelineJobs of pipelines.values()) {
    let ready = 0;
    const stages = groupBy(pipelineJobs, (job) => job.stage ?? 0);
    for (const stage of [...stages.keys()].sort((a, b) => a - b)) {
      let finished = ready;
      for (const job of stages.get(stage) ?? []) {
        const start = Math.max(job.createdAt.getTime(), ready);
        const end = start + job.durationS * 1000;
        finished = Math.max(finished, end);
        if (counted(job)) events.push([start, 1], [end, -1]);
      }
      ready = finished;
    }
  }
  // At the same instant a job ends before the next starts: a runner passes from one to the next.
  events.sort(([a, up], [b, down]) => a - b || up - down);
  let running = 0;
  let peak = 0;
  for (const [, change] of events) {
    running += change;
    peak = Math.max(peak, running);
  }
  return peak;
};
