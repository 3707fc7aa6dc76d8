/**
 * Per-registry circuit breaker (pure, clock injected): after `threshold` consecutive failures the
 * registry is not asked for `openMs`; then one probe is let through, and its outcome closes or re-opens
 * the circuit. A 429's Retry-After pauses the registry the same way, so we never hammer it.
 *
 * Every request the breaker lets through holds a ticket that must be settled exactly once — success,
 * failure, rate-limited, or released (no verdict on the registry) — and callers release it in a
 * `finally`, so no outcome can keep the half-open probe reserved. As a second guard the probe's
 * reservation has a deadline: a ticket lost anyway stops blocking new probes once that passes.
 */
export interface BreakerOptions {
  threshold?: number;
  openMs?: number;
  /** Longest pause a Retry-After may impose. */
  maxPauseMs?: number;
  /** Longest a half-open probe keeps its reservation (shortened by the request's own deadline). */
  maxProbeMs?: number;
  /** Registries remembered at most; the least recently used are forgotten first. */
  maxRegistries?: number;
  now?: () => number;
}

type State = {
  failures: number;
  openUntil: number;
  pausedUntil: number;
  /** Id of the half-open probe in flight (0: none) and when its reservation lapses. */
  probe: number;
  probeUntil: number;
};

/** A request the breaker let through. Only the first settlement counts; later calls do nothing. */
export interface BreakerTicket {
  readonly registry: string;
  /** This request is the half-open probe. */
  readonly probe: boolean;
  /** The registry answered (any status but 5xx/429): closes the circuit. */
  success(): void;
  /** The registry failed (5xx after retries, timeout, refused or reset connection, unreadable answer). */
  failure(): void;
  /** The registry answered 429: paused for Retry-After (bounded); the circuit's failure count is kept. */
  rateLimited(retryAfterMs: number): void;
  /** Ends the request without a verdict on the registry (our own refusal, an abort); safe in `finally`. */
  release(): void;
}

export type BreakerVerdict =
  | { allowed: true; ticket: BreakerTicket }
  | { allowed: false; reason: 'open' | 'rate-limited'; retryAfterMs: number };

/** How many of the oldest states eviction looks through for one whose circuit is not open. */
const EVICTION_SCAN = 64;

/** How long callers are told to wait while another request is the probe. */
const PROBE_BUSY_MS = 1_000;

export class CircuitBreakers {
  private readonly states = new Map<string, State>();
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly maxPauseMs: number;
  private readonly maxProbeMs: number;
  private readonly maxRegistries: number;
  private readonly now: () => number;
  private nextProbe = 1;

  constructor(options: BreakerOptions = {}) {
    this.threshold = Math.max(1, options.threshold ?? 5);
    this.openMs = Math.max(0, options.openMs ?? 10_000);
    this.maxPauseMs = Math.max(0, options.maxPauseMs ?? 60_000);
    this.maxProbeMs = Math.max(1, options.maxProbeMs ?? 60_000);
    this.maxRegistries = Math.max(1, options.maxRegistries ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  /** Registries with a remembered state (healthy ones are forgotten). */
  get size(): number {
    return this.states.size;
  }

  /** The state, moved to the most recently used end; created (evicting the least recently used) on demand. */
  private state(registry: string, create: true): State;
  private state(registry: string, create: false): State | undefined;
  private state(registry: string, create: boolean): State | undefined {
    let s = this.states.get(registry);
    if (s) {
      this.states.delete(registry);
    } else {
      if (!create) return undefined;
      s = { failures: 0, openUntil: 0, pausedUntil: 0, probe: 0, probeUntil: 0 };
      // Bounded: registries are user-chosen.
      while (this.states.size >= this.maxRegistries) this.evictOne();
    }
    this.states.set(registry, s);
    return s;
  }

  /**
   * Makes room: the least recently used state whose circuit is not open, among the oldest EVICTION_SCAN
   * (bounded work per insert); only when all of those are open, the oldest. So a flood of other registries
   * cannot make the service forget a registry it is protecting.
   */
  private evictOne(): void {
    const now = this.now();
    let scanned = 0;
    for (const [registry, s] of this.states) {
      if (!(s.failures >= this.threshold && s.openUntil > now)) {
        this.states.delete(registry);
        return;
      }
      if (++scanned >= EVICTION_SCAN) break;
    }
    this.states.delete(this.states.keys().next().value as string);
  }

  /** Drops a state that says nothing any more (closed, unpaused, no probe), so the map holds troubled registries only. */
  private forgetIfHealthy(registry: string, s: State, now: number): void {
    if (s.failures === 0 && s.pausedUntil <= now && s.probe === 0 && this.states.get(registry) === s) this.states.delete(registry);
  }

  /**
   * Asks before a request. An allowed request gets a ticket to settle; in half-open state that ticket is
   * the single probe, reserved until it is settled or `deadline` (capped by `maxProbeMs`) passes.
   */
  check(registry: string, deadline?: number): BreakerVerdict {
    const now = this.now();
    const s = this.state(registry, false);
    if (!s) return { allowed: true, ticket: this.ticket(registry, 0) };
    if (s.pausedUntil > now) return { allowed: false, reason: 'rate-limited', retryAfterMs: s.pausedUntil - now };
    if (s.probe !== 0 && s.probeUntil <= now) s.probe = 0; // a lost probe: its reservation lapsed
    if (s.failures < this.threshold) {
      this.forgetIfHealthy(registry, s, now);
      return { allowed: true, ticket: this.ticket(registry, 0) };
    }
    if (s.openUntil > now) return { allowed: false, reason: 'open', retryAfterMs: s.openUntil - now };
    if (s.probe !== 0) return { allowed: false, reason: 'open', retryAfterMs: Math.min(PROBE_BUSY_MS, s.probeUntil - now) };
    s.probe = this.nextProbe++;
    s.probeUntil = Math.min(deadline ?? Number.POSITIVE_INFINITY, now + this.maxProbeMs);
    return { allowed: true, ticket: this.ticket(registry, s.probe) };
  }

  private ticket(registry: string, probe: number): BreakerTicket {
    let settled = false;
    const settle = (apply: (s: State | undefined, now: number) => void): void => {
      if (settled) return;
      settled = true;
      const now = this.now();
      const current = this.states.get(registry);
      // Only the probe that holds the reservation frees it (a lapsed probe must not free its successor's).
      if (probe !== 0 && current?.probe === probe) current.probe = 0;
      apply(current, now);
      if (current) this.forgetIfHealthy(registry, current, now);
    };
    return {
      registry,
      probe: probe !== 0,
      success: () =>
        settle((s) => {
          if (s) s.failures = 0;
        }),
      failure: () =>
        settle((_, now) => {
          const s = this.state(registry, true);
          s.failures++;
          if (s.failures >= this.threshold) s.openUntil = now + this.openMs;
        }),
      rateLimited: (retryAfterMs) =>
        settle((_, now) => {
          const s = this.state(registry, true);
          const pause = Math.min(Math.max(Number.isFinite(retryAfterMs) ? retryAfterMs : this.maxPauseMs, 0), this.maxPauseMs);
          s.pausedUntil = Math.max(s.pausedUntil, now + pause);
        }),
      release: () => settle(() => undefined),
    };
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
