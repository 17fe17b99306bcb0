import { setTimeout as sleep } from "node:timers/promises";
import { InMemoryCompute, type InMemoryTokenDrop } from "@ger/core";
import type { Clock, LaunchRequest, LaunchResult } from "@ger/core/types";
import { runSingleJob } from "./simulated-runner";

export interface SimulatedEc2Options {
  readonly clock: Clock;
  readonly tokens: InMemoryTokenDrop;
  readonly gitlabUrl: string;
  /** From launch call to the runner's first poll, as EC2 plus boot would take (about 26 s on AWS). */
  readonly bootDelayMs: number;
  readonly checkIntervalMs: number;
  /** Called on every instance state change, as EventBridge's EC2 state-change events would be. */
  readonly onStateChange?: (instanceId: string, state: string) => void;
}

/**
 * EC2 for the local stack: each launched instance boots after a delay, then runs a simulated
 * gitlab-runner against the GitLab double, one job at most, and powers off.
 */
export class SimulatedEc2 extends InMemoryCompute {
  private readonly running = new Set<Promise<void>>();
  /** Ends every simulated instance's wait at once when the stack stops. */
  private readonly shutdown = new AbortController();

  constructor(private readonly options: SimulatedEc2Options) {
    super(options.clock);
  }

  override async launch(request: LaunchRequest): Promise<LaunchResult> {
    const known = new Set(this.instances.keys());
    const result = await super.launch(request);
    if (result.kind !== "launched") return result;
    for (const { instanceId } of result.instances) {
      if (known.has(instanceId)) continue;
      const life = this.live(instanceId, request);
      this.running.add(life);
      void life.finally(() => this.running.delete(life));
    }
    return result;
  }

  /** Powers every simulated instance off now. */
  stop(): void {
    this.shutdown.abort();
  }

  /** Resolves when every simulated instance has powered off. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private setState(instanceId: string, state: "running" | "shutting-down" | "terminated") {
    const instance = this.instances.get(instanceId);
    if (!instance) return;
    instance.state = state;
    this.options.onStateChange?.(instanceId, state);
  }

  private async live(instanceId: string, { waitTimeoutSeconds }: LaunchRequest): Promise<void> {
    try {
      await sleep(this.options.bootDelayMs, undefined, { signal: this.shutdown.signal });
    } catch {
      return;
    }
    // Terminated while pending (an unwanted place of a launch, an orphan): it never runs.
    if (this.instances.get(instanceId)?.state === "terminated") return;
    this.setState(instanceId, "running");
    try {
      // The real instance polls SSM until the scaler grants it its token.
      let token: string | undefined;
      for (let attempt = 0; attempt < 30 && !token; attempt++) {
        token = this.options.tokens.take(instanceId);
        if (!token) await sleep(200);
      }
      if (!token) return;
      await runSingleJob({
        gitlabUrl: this.options.gitlabUrl,
        token,
        waitTimeoutSeconds,
        checkIntervalMs: this.options.checkIntervalMs,
      });
    } catch {
      // Whatever happens, the instance powers off, as its user-data's EXIT trap makes it.
    } finally {
      this.setState(instanceId, "shutting-down");
      this.setState(instanceId, "terminated");
    }
  }
}
