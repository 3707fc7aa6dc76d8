/**
 * Request coalescing: concurrent calls with the same key share one run of the work. The shared run is
 * detached from every caller: a caller that gives up (its AbortSignal fires) stops waiting, but the run
 * goes on for the others and still fills the cache.
 */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  get size(): number {
    return this.inflight.size;
  }

  run(key: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let shared = this.inflight.get(key);
    if (!shared) {
      shared = work().finally(() => this.inflight.delete(key));
      this.inflight.set(key, shared);
      // Nobody may be listening when it fails (every caller gave up): avoid an unhandled rejection.
      shared.catch(() => undefined);
    }
    return signal ? abandonable(shared, signal) : shared;
  }
}

/** Waits for `promise` unless `signal` fires first; the promise itself is not cancelled. */
export function abandonable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
