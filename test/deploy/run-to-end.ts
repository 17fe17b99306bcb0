import { spawn } from "node:child_process";

export interface Ended {
  /** Null when the process was killed, at the timeout. */
  readonly code: number | null;
  /** Its stdout and stderr, interleaved: kept for the message a failure shows, never printed. */
  readonly output: string;
}

/** Runs a process to its end, killed past the timeout so that none is left running. */
export const runToEnd = (
  command: string,
  args: readonly string[],
  options: { readonly env: NodeJS.ProcessEnv; readonly cwd?: string; readonly timeoutMs: number },
) =>
  new Promise<Ended>((done, failed) => {
    const child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output += chunk;
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      failed(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
