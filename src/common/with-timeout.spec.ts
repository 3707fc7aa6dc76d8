import { afterEach, describe, expect, it, vi } from 'vitest';
import { withTimeout } from './with-timeout.js';

describe('withTimeout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("answers the promise's value or rejection when it settles in time, and leaves no timer behind", async () => {
    vi.useFakeTimers();
    await expect(withTimeout(Promise.resolve(7), 1_000, 'setup')).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('boom')), 1_000, 'setup')).rejects.toThrow('boom');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects naming what did not finish once the time is up', async () => {
    vi.useFakeTimers();
    const pending = withTimeout(new Promise<never>(() => undefined), 250, 'setup');
    const outcome = expect(pending).rejects.toThrow('setup did not finish within 250 ms');
    await vi.advanceTimersByTimeAsync(250);
    await outcome;
    expect(vi.getTimerCount()).toBe(0);
  });
});
