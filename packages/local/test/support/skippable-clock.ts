import type { Clock } from "@ger/core/types";
import { SUNDAY_MORNING } from "../../../../test/support/clock";

/**
 * A clock that runs at real speed from `start`, and that a test may move ahead: time the world
 * spends idle (or a control plane spends down) without the test waiting for it.
 */
export const skippableClock = (start: Date = SUNDAY_MORNING) => {
  const origin = performance.now();
  let skippedMs = 0;
  const clock: Clock & { skip(seconds: number): void } = {
    now: () => new Date(start.getTime() + (performance.now() - origin) + skippedMs),
    skip: (seconds) => {
      skippedMs += seconds * 1000;
    },
  };
  return clock;
};
