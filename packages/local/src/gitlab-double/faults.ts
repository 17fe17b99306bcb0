import type { Reply } from "./reply";

/** An error the double answers instead of GitLab's answer, `remaining` times. */
export interface Fault {
  readonly method: string;
  readonly path: RegExp;
  readonly status: number;
  readonly retryAfterSeconds?: number;
  remaining: number;
}

export const injectedFault = (faults: Fault[], method: string, path: string): Reply | undefined => {
  const fault = faults.find(
    (candidate) =>
      candidate.remaining > 0 && candidate.method === method && candidate.path.test(path),
  );
  if (!fault) return undefined;
  fault.remaining -= 1;
  const headers: Record<string, string> =
    fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {};
  return { status: fault.status, headers, body: { message: `${fault.status} (injected)` } };
};
