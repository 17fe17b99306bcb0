import { beforeEach, onTestFailed } from "vitest";

/**
 * Holds what a test writes straight to stdout and stderr (Powertools' logs and EMF lines use their
 * own Console, which Vitest's console capture does not see) and prints it only if the test fails,
 * so a green run shows the summary alone. Tests that check the output capture it themselves.
 */
type Write = typeof process.stdout.write;
const streams = [process.stdout, process.stderr] as const;
const originals = streams.map((stream) => stream.write.bind(stream) as Write);
let held: { stream: number; chunk: string | Uint8Array }[] = [];

streams.forEach((stream, index) => {
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    held.push({ stream: index, chunk });
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as Write;
});

beforeEach(() => {
  held = [];
  onTestFailed(() => {
    for (const { stream, chunk } of held) originals[stream]?.(chunk);
  });
});
