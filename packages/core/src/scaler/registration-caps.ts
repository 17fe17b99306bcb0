import type { PoolConfig } from "../pools/autoscaler-config";
import { gitlabComPlanLimit, isGitlabCom } from "../pools/plan-limits";
import {
  type RegistrationCap,
  registrationCapOf,
  registrationScopeKey,
  runnerScopeOf,
} from "../pools/runner-scope";
import type { ScalerDependencies } from "./scale-up";

/** A plan changes rarely (an upgrade): read once an hour per scope. */
export const PLAN_READ_INTERVAL_SECONDS = 3600;
/** A plan read that failed (5xx, 429) is tried again after this, not every pass. */
export const PLAN_RETRY_SECONDS = 300;
/** A cap GitLab's refusal named holds this long; then the plan, or no cap, applies again. */
export const REFUSAL_HOLDS_SECONDS = 3600;

interface Learned {
  readonly limit?: number;
  readonly plan?: string;
  readonly until: number;
}

/**
 * Registered-runner caps the config leaves unset, learned at run time: on gitlab.com from the
 * namespace's plan (50 on Free, 1,000 on Premium), and anywhere from the cap GitLab's refusal
 * names, so a scope at a cap nobody configured is held to it instead of being refused pass after
 * pass. A cap the config sets (`registered_runner_limit`) always wins: it is the deployment's share.
 */
export class RegistrationCaps {
  private readonly plans = new Map<string, Learned>();
  private readonly refusals = new Map<string, Learned>();

  /** Reads the plans that are due, for the scopes with no configured cap; never throws. */
  async refresh(deps: Pick<ScalerDependencies, "config" | "registry" | "clock">): Promise<void> {
    if (!isGitlabCom(deps.config.gitlab_url)) return;
    const now = deps.clock.now().getTime();
    const due = new Map<string, PoolConfig>();
    for (const pool of deps.config.pools) {
      const key = registrationScopeKey(pool);
      if (key === undefined || registrationCapOf(deps.config, pool)) continue;
      if ((this.plans.get(key)?.until ?? 0) <= now) due.set(key, pool);
    }
    for (const [key, pool] of due) {
      const scope = runnerScopeOf(pool);
      if (scope.runnerType === "instance_type") continue;
      try {
        const plan = await deps.registry.namespacePlan(scope);
        const limit = plan === undefined ? undefined : gitlabComPlanLimit(plan);
        this.plans.set(key, {
          ...(plan !== undefined && { plan }),
          ...(limit !== undefined && { limit }),
          until: now + PLAN_READ_INTERVAL_SECONDS * 1000,
        });
      } catch {
        // The previous answer, if any, stands until GitLab answers again.
        const previous = this.plans.get(key);
        this.plans.set(key, { ...previous, until: now + PLAN_RETRY_SECONDS * 1000 });
      }
    }
  }

  /** GitLab refused a registration in the scope, naming its cap. */
  learnRefusal(key: string, limit: number, now: Date): void {
    this.refusals.set(key, { limit, until: now.getTime() + REFUSAL_HOLDS_SECONDS * 1000 });
  }

  /** The configured cap, else the smaller of the refusal's and the plan's. */
  capOf(
    config: ScalerDependencies["config"],
    pool: PoolConfig,
    now: Date,
  ): RegistrationCap | undefined {
    const configured = registrationCapOf(config, pool);
    if (configured) return configured;
    const key = registrationScopeKey(pool);
    if (key === undefined) return undefined;
    const refused = this.refusals.get(key);
    const fromRefusal = refused && refused.until > now.getTime() ? refused.limit : undefined;
    const plan = this.plans.get(key);
    const limits = [fromRefusal, plan?.limit].filter((limit) => limit !== undefined);
    if (limits.length === 0) return undefined;
    const limit = Math.min(...limits);
    return limit === fromRefusal
      ? { key, limit, source: "refusal" }
      : { key, limit, source: `plan ${plan?.plan}` };
  }
}
