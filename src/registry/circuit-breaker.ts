/**
 * Per-registry circuit breaker (pure, clock injected): after `threshold` consecutive failures the
 * registry is not asked for `openMs`; then one probe is let through, and its outcome closes or re-opens
 * the circuit. A 429's Retry-After pauses the registry the same way, so we never hammer it.
 */
export interface BreakerOptions {
  threshold?: number;
  openMs?: number;
  /** Longest pause a Retry-After may impose. */
  maxPauseMs?: number;
  now?: () => number;
}

type State = { failures: number; openUntil: number; probing: boolean; pausedUntil: number };

export type BreakerVerdict = { allowed: true } | { allowed: false; reason: 'open' | 'rate-limited'; retryAfterMs: number };

export class CircuitBreakers {
  private readonly states = new Map<string, State>();
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly maxPauseMs: number;
  private readonly now: () => number;

  constructor(options: BreakerOptions = {}) {
    this.threshold = options.threshold ?? 5;
    this.openMs = options.openMs ?? 10_000;
    this.maxPauseMs = options.maxPauseMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  private state(registry: string): State {
    let s = this.states.get(registry);
    if (!s) {
      s = { failures: 0, openUntil: 0, probing: false, pausedUntil: 0 };
      // Bounded: registries are user-chosen, so forget the oldest when many are seen.
      if (this.states.size >= 10_000) this.states.delete(this.states.keys().next().value as string);
      this.states.set(registry, s);
    }
    return s;
  }

  /** Asks before a request; a `true` in half-open state reserves the single probe. */
  check(registry: string): BreakerVerdict {
    const s = this.states.get(registry);
    if (!s) return { allowed: true };
    const now = this.now();
    if (s.pausedUntil > now) return { allowed: false, reason: 'rate-limited', retryAfterMs: s.pausedUntil - now };
    if (s.failures < this.threshold) return { allowed: true };
    if (s.openUntil > now) return { allowed: false, reason: 'open', retryAfterMs: s.openUntil - now };
    if (s.probing) return { allowed: false, reason: 'open', retryAfterMs: 1_000 };
    s.probing = true;
    return { allowed: true };
  }

  success(registry: string): void {
    const s = this.states.get(registry);
    if (s) {
      s.failures = 0;
      s.probing = false;
    }
  }

  failure(registry: string): void {
    const s = this.state(registry);
    s.failures++;
    s.probing = false;
    if (s.failures >= this.threshold) s.openUntil = this.now() + this.openMs;
  }

  /** A 429 pauses the registry for its Retry-After (bounded). */
  rateLimited(registry: string, retryAfterMs: number): void {
    const s = this.state(registry);
    s.pausedUntil = this.now() + Math.min(Math.max(retryAfterMs, 0), this.maxPauseMs);
  }

  isOpen(registry: string): boolean {
    const s = this.states.get(registry);
    return !!s && s.failures >= this.threshold && s.openUntil > this.now();
  }
}

/** `Retry-After` as delta-seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1_000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
