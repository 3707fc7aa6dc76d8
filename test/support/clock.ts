/**
 * A clock for services under test (the `now` option of createDigestService): real time plus an offset the
 * test moves forward, so "the TTL has passed" is one call instead of a sleep — and "still within the TTL"
 * holds however slow the machine is.
 */
export interface TestClock {
  now: () => number;
  /** Moves the clock `ms` forward. */
  advance(ms: number): void;
}

export function testClock(): TestClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance: (ms) => {
      offset += ms;
    },
  };
}
