import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('allows the burst, then one request per 1/rate seconds, with Retry-After', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 3, () => now);
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1, remaining: 0 });
    now += 500; // half a second: one token at 2/s
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true); // callers are independent
  });

  it('says how long to wait at slow rates', () => {
    let now = 0;
    const limiter = new RateLimiter(0.1, 1, () => now);
    limiter.take('a');
    expect(limiter.take('a').retryAfterSeconds).toBe(10);
    now += 10_000;
    expect(limiter.take('a').allowed).toBe(true);
  });

  it('forgets idle callers when the table grows', () => {
    let now = 0;
    const limiter = new RateLimiter(1000, 1, () => now);
    for (let i = 0; i < 10_000; i++) limiter.take(`ip-${i}`);
    now += 5_000;
    limiter.take('newcomer');
    expect(limiter.size).toBe(1);
  });
});
