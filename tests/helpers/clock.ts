// A clock tests set and move by hand.
import type { Clock } from "../../server/clock.ts";

export interface TestClock extends Clock {
  advance(seconds: number): void;
}

export function createTestClock(start = new Date("2026-01-15T10:00:00Z")): TestClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (seconds) => {
      current += seconds * 1000;
    },
  };
}
