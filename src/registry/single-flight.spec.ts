import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight.js';

describe('SingleFlight', () => {
  it('runs the work once for concurrent callers with the same key', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    const work = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 10));
      return 42;
    };
    const results = await Promise.all(Array.from({ length: 100 }, () => flights.run('k', work)));
    expect(results.every((r) => r === 42)).toBe(true);
    expect(runs).toBe(1);
    expect(flights.size).toBe(0);
    await flights.run('k', work);
    expect(runs).toBe(2); // a finished flight is not a cache
  });

  it('a caller that aborts stops waiting; the shared work continues for the others', async () => {
    const flights = new SingleFlight<string>();
    let finish: (v: string) => void = () => undefined;
    const work = () => new Promise<string>((resolve) => (finish = resolve));
    const controller = new AbortController();
    const leaving = flights.run('k', work, controller.signal);
    const staying = flights.run('k', work);
    controller.abort(new Error('gone'));
    await expect(leaving).rejects.toThrow('gone');
    finish('done');
    expect(await staying).toBe('done');
  });

  it('shares failures without unhandled rejections when nobody waits', async () => {
    const flights = new SingleFlight<string>();
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(flights.run('k', async () => Promise.reject(new Error('boom')), controller.signal)).rejects.toThrow('gone');
    await new Promise((r) => setTimeout(r, 5));
  });
});
