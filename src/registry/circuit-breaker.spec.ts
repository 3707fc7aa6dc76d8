import { describe, expect, it } from 'vitest';
import { CircuitBreakers, parseRetryAfter } from './circuit-breaker.js';

describe('CircuitBreakers', () => {
  it('opens after consecutive failures, lets one probe through, and closes on success', () => {
    let now = 0;
    const breakers = new CircuitBreakers({ threshold: 3, openMs: 1_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(breakers.check('r').allowed).toBe(true);
      breakers.failure('r');
    }
    expect(breakers.check('r')).toEqual({ allowed: false, reason: 'open', retryAfterMs: 1_000 });
    expect(breakers.check('other').allowed).toBe(true); // per registry
    now = 1_000;
    expect(breakers.check('r').allowed).toBe(true); // the probe
    expect(breakers.check('r').allowed).toBe(false); // only one at a time
    breakers.success('r');
    expect(breakers.check('r').allowed).toBe(true);
  });

  it('a failed probe opens the circuit again', () => {
    let now = 0;
    const breakers = new CircuitBreakers({ threshold: 1, openMs: 500, now: () => now });
    breakers.failure('r');
    now = 600;
    expect(breakers.check('r').allowed).toBe(true);
    breakers.failure('r');
    expect(breakers.check('r')).toMatchObject({ allowed: false, reason: 'open' });
  });

  it('a success resets the failure count', () => {
    const breakers = new CircuitBreakers({ threshold: 2 });
    breakers.failure('r');
    breakers.success('r');
    breakers.failure('r');
    expect(breakers.check('r').allowed).toBe(true);
  });

  it('429 pauses the registry for Retry-After, bounded', () => {
    let now = 0;
    const breakers = new CircuitBreakers({ maxPauseMs: 10_000, now: () => now });
    breakers.rateLimited('r', 3_000);
    expect(breakers.check('r')).toEqual({ allowed: false, reason: 'rate-limited', retryAfterMs: 3_000 });
    now = 3_000;
    expect(breakers.check('r').allowed).toBe(true);
    breakers.rateLimited('r', 3_600_000);
    expect(breakers.check('r')).toMatchObject({ retryAfterMs: 10_000 });
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['7', 7_000],
    [' 0 ', 0],
    ['Wed, 21 Oct 2015 07:28:10 GMT', 10_000],
    ['soon', undefined],
    [undefined, undefined],
  ])('%s → %s', (value, ms) => {
    expect(parseRetryAfter(value, Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(ms);
  });
});
