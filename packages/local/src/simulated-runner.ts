import { setTimeout as sleep } from "node:timers/promises";

export interface SimulatedRunnerOptions {
  readonly gitlabUrl: string;
  readonly token: string;
  readonly waitTimeoutSeconds: number;
  readonly checkIntervalMs: number;
}

export type RunnerExit = { readonly ranJob?: number };

const post = (url: string, body: unknown, method = "POST") =>
  fetch(url, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });

/**
 * What `gitlab-runner run-single --max-builds 1 --wait-timeout N` does, over the same HTTP API:
 * poll POST /jobs/request until a job comes or the wait runs out, run it, report it, exit.
 */
export const runSingleJob = async ({
  gitlabUrl,
  token,
  waitTimeoutSeconds,
  checkIntervalMs,
}: SimulatedRunnerOptions): Promise<RunnerExit> => {
  const api = `${gitlabUrl}/api/v4`;
  const deadline = Date.now() + waitTimeoutSeconds * 1000;
  while (Date.now() < deadline) {
    const response = await post(`${api}/jobs/request`, {
      token,
      info: { name: "gitlab-runner", version: "simulated" },
    });
    if (response.status === 201) {
      const job = (await response.json()) as {
        id: number;
        token: string;
        variables?: { key: string; value: string }[];
      };
      const duration = Number(
        job.variables?.find((variable) => variable.key === "DOUBLE_JOB_DURATION")?.value ?? 1,
      );
      await sleep(duration * 1000);
      await post(`${api}/jobs/${job.id}`, { token: job.token, state: "success" }, "PUT");
      return { ranJob: job.id };
    }
    // 403 (token refused) is what a deleted runner sees: the real one would sleep; this one stops.
    if (response.status === 403) return {};
    await sleep(checkIntervalMs);
  }
  return {};
};
