import type { GitlabCallPurpose } from "./gitlab-call-purposes";

/**
 * What the control plane's AWS services would bill for a run, counted call by call. Prices are
 * us-east-1 list prices (DynamoDB on-demand, Lambda arm64, API Gateway HTTP API, EventBridge
 * Scheduler, Secrets Manager), as in the project notes; unit counts per call follow the DynamoDB
 * adapters' operations (see STORE_UNITS).
 */
export const CONTROL_PLANE_PRICES = {
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  apiGatewayRequest: 1 / 1e6,
  schedulerInvocation: 1 / 1e6,
  secretsManagerCall: 0.05 / 1e4,
  secretMonth: 0.4,
} as const;

/**
 * A Lambda invocation's billed time, assumed: virtual time has no duration of its own. The
 * webhook's is the handler's p50 in `npm run bench` rounded up; the others allow for their calls
 * to DynamoDB, GitLab and EC2 (tens of ms each). All functions have 512 MB (infra/functions.ts).
 */
export const LAMBDA_ASSUMPTIONS = {
  memoryGb: 0.5,
  durationS: { webhook: 0.01, scaler: 0.25, reaper: 0.4, instanceEvents: 0.03 },
  /** Secrets read per function and warm container, every five minutes (the credentials cache). */
  secretReadEveryS: 300,
  secrets: 2,
} as const;

export type LambdaFunction = keyof typeof LAMBDA_ASSUMPTIONS.durationS;

export class ControlPlaneMeters {
  readonly invocations: Record<LambdaFunction, number> = {
    webhook: 0,
    scaler: 0,
    reaper: 0,
    instanceEvents: 0,
  };
  readUnits = 0;
  writeUnits = 0;
  apiGatewayRequests = 0;
  schedulerInvocations = 0;
  /** Invocations that ended in an error (GitLab or EC2 refused a call), to be retried. */
  failedInvocations = 0;
  /** Calls to the other control-plane APIs, by name (SSM for tokens), for the record. */
  readonly otherCalls = new Map<string, number>();
  /** This project's calls to GitLab, by what they are for. */
  readonly gitlabCallsByPurpose: Record<GitlabCallPurpose, number> = {
    lifecycle: 0,
    tags: 0,
    reconcile: 0,
    watchdog: 0,
    other: 0,
  };
  /** Scaler passes that found a pool held back by its GitLab scope's registered-runner cap. */
  starvedByScopeLimit = 0;

  invoked(fn: LambdaFunction): void {
    this.invocations[fn] += 1;
    if (fn === "webhook") this.apiGatewayRequests += 1;
  }

  /** The bill so far, for a run that has lasted `elapsedS`. */
  costUsd(elapsedS: number): number {
    const p = CONTROL_PLANE_PRICES;
    const { memoryGb, durationS, secretReadEveryS, secrets } = LAMBDA_ASSUMPTIONS;
    let lambda = 0;
    for (const fn of Object.keys(durationS) as LambdaFunction[]) {
      const count = this.invocations[fn];
      lambda += count * (p.lambdaRequest + durationS[fn] * memoryGb * p.lambdaGbSecond);
    }
    const month = 30 * 24 * 3600;
    const secretReads = Math.ceil(elapsedS / secretReadEveryS) * Object.keys(durationS).length;
    return (
      lambda +
      this.writeUnits * p.dynamoWriteUnit +
      this.readUnits * p.dynamoReadUnit +
      this.apiGatewayRequests * p.apiGatewayRequest +
      this.schedulerInvocations * p.schedulerInvocation +
      secretReads * p.secretsManagerCall +
      (secrets * p.secretMonth * elapsedS) / month
    );
  }
}

/** Items of about 0.5 KB: eight to a strongly consistent read unit of 4 KB. */
const readUnitsFor = (items: number) => Math.max(1, Math.ceil(items / 8));

/**
 * DynamoDB units per store call. Writes are single items of under 1 KB (one unit), but a slot is
 * taken and given back in a two-item transaction, which DynamoDB bills double (2 × 2).
 */
interface CallUnits {
  readonly write?: number;
  readonly read?: (result: unknown) => number;
}

const STORE_UNITS: Record<string, CallUnits> = {
  recordJobEvent: { write: 1 },
  noteProjectActivity: { write: 1 },
  annotateJob: { write: 1 },
  claimJobRetry: { write: 1 },
  reserve: { write: 4 },
  transition: { write: 1 },
  release: { write: 1 },
  // Transactions: the registration's item, the record and the pool's and fleet's counters.
  takeRegistration: { write: 4, read: () => 1 },
  retainRegistration: { write: 4 },
  expireRegistration: { write: 1 },
  dropRegistration: { write: 2, read: () => 1 },
  listRegistrations: { read: (result) => readUnitsFor((result as unknown[]).length) },
  tryAcquire: { write: 1 },
  setDrained: { write: 1 },
  get: { read: () => 1 },
  ledger: { read: () => 1 },
  drainedPools: { read: () => 1 },
  listLive: { read: (result) => readUnitsFor((result as unknown[]).length) },
  listPendingJobs: { read: (result) => readUnitsFor((result as unknown[]).length) },
  listJobs: { read: (result) => readUnitsFor((result as unknown[]).length) },
  listActiveProjects: { read: (result) => readUnitsFor((result as unknown[]).length) },
  // One query per status lookahead reads (LOOKAHEAD_STATUSES, 7) and one for the halts.
  listPipelineDemand: {
    read: (result) => {
      const { jobs, halts } = result as { jobs: unknown[]; halts: unknown[] };
      return 7 + readUnitsFor(jobs.length) + readUnitsFor(halts.length);
    },
  },
  notePipelineHalt: { write: 1 },
  liftPipelineHalt: { write: 1 },
  // A read of the history, then its conditional write.
  recordDuration: { write: 1, read: () => 1 },
  // BatchGetItem bills each item read as a whole unit.
  recentDurations: { read: (result) => (result as ReadonlyMap<string, unknown>).size },
};

/**
 * The store, with every call's DynamoDB units added to `meters`. The runner store's `release`
 * is the two-item transaction; the lease's is a single delete.
 */
export const metered = <T extends object>(
  store: T,
  meters: ControlPlaneMeters,
  overrides: Record<string, CallUnits> = {},
): T =>
  new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || typeof property !== "string") return value;
      const units: CallUnits | undefined = overrides[property] ?? STORE_UNITS[property];
      if (!units) return value;
      const method = value as unknown as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        const result = await method.apply(target, args);
        meters.writeUnits += units.write ?? 0;
        if (units.read) meters.readUnits += units.read(result);
        return result;
      };
    },
  });
