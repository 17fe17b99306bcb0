import type { Clock } from "@ger/core/types";

/**
 * Fixed instants for tests, so that no test reads the real clock. DynamoDB Local deletes items
 * whose TTL has passed on the real clock, so these lie far ahead of any real date: nothing a test
 * writes expires during its run.
 */
export const SUNDAY_MORNING = new Date("2099-11-22T10:00:00Z"); // outside every office-hours policy
/** 10:30 in Berlin on a weekday: inside the example's office-hours policies. */
export const WEEKDAY_OFFICE_HOURS = new Date("2099-11-24T09:30:00Z");

/** A clock that stands still until the test moves it. */
export const manualClock = (start: Date = SUNDAY_MORNING) => {
  let now = start;
  const clock: Clock & { advance(seconds: number): void; set(at: Date): void } = {
    now: () => now,
    advance: (seconds) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
    set: (at) => {
      now = at;
    },
  };
  return clock;
};

/**
 * A clock that runs at real speed from `start` (the monotonic clock, not the time of day): for the
 * local stack, whose simulated instances wait real time.
 */
export const runningClock = (start: Date = SUNDAY_MORNING): Clock => {
  const origin = performance.now();
  return { now: () => new Date(start.getTime() + (performance.now() - origin)) };
};
