import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../common/errors.js';
import { type BreakerTicket, type BreakerVerdict, CircuitBreakers, parseRetryAfter } from './circuit-breaker.js';
import { EgressPolicy } from './egress-guard.js';
import { plainHttpSet } from './registry-endpoint.js';
import { RegistryHttp } from './registry-http.js';

/** The ticket of an allowed verdict (fails the test on a refusal). */
function admitted(verdict: BreakerVerdict): BreakerTicket {
  if (!verdict.allowed) throw new Error(`expected the request to be let through, got ${verdict.reason}`);
  return verdict.ticket;
}

/** A breaker with a hand-moved clock, already open (threshold failures at t=0, open for 1 s). */
function openBreaker(options: { threshold?: number; openMs?: number; maxPauseMs?: number } = {}) {
  const clock = { now: 0 };
  const breakers = new CircuitBreakers({ threshold: 2, openMs: 1_000, maxPauseMs: 10_000, ...options, now: () => clock.now });
  for (let i = 0; i < (options.threshold ?? 2); i++) admitted(breakers.check('r')).failure();
  expect(breakers.check('r')).toEqual({ allowed: false, reason: 'open', retryAfterMs: options.openMs ?? 1_000 });
  return { breakers, clock };
}

describe('CircuitBreakers', () => {
  it('opens after consecutive failures, lets one probe through, and closes on success', () => {
    let now = 0;
    const breakers = new CircuitBreakers({ threshold: 3, openMs: 1_000, now: () => now });
    for (let i = 0; i < 3; i++) admitted(breakers.check('r')).failure();
    expect(breakers.check('r')).toEqual({ allowed: false, reason: 'open', retryAfterMs: 1_000 });
    expect(breakers.check('other').allowed).toBe(true); // per registry
    now = 1_000;
    const probe = admitted(breakers.check('r'));
    expect(probe.probe).toBe(true);
    expect(breakers.check('r')).toMatchObject({ allowed: false, reason: 'open' }); // only one at a time
    probe.success();
    expect(admitted(breakers.check('r')).probe).toBe(false);
    expect(breakers.isOpen('r')).toBe(false);
  });

  it('a success resets the failure count', () => {
    const breakers = new CircuitBreakers({ threshold: 2 });
    admitted(breakers.check('r')).failure();
    admitted(breakers.check('r')).success();
    admitted(breakers.check('r')).failure();
    expect(breakers.check('r').allowed).toBe(true);
  });

  it('429 pauses the registry for Retry-After, bounded', () => {
    let now = 0;
    const breakers = new CircuitBreakers({ maxPauseMs: 10_000, now: () => now });
    admitted(breakers.check('r')).rateLimited(3_000);
    expect(breakers.check('r')).toEqual({ allowed: false, reason: 'rate-limited', retryAfterMs: 3_000 });
    now = 3_000;
    admitted(breakers.check('r')).rateLimited(3_600_000);
    expect(breakers.check('r')).toMatchObject({ retryAfterMs: 10_000 });
  });

  it('only the first settlement of a ticket counts (release in finally is always safe)', () => {
    const { breakers, clock } = openBreaker();
    clock.now = 1_000;
    const probe = admitted(breakers.check('r'));
    probe.success();
    probe.failure();
    probe.rateLimited(5_000);
    probe.release();
    expect(breakers.check('r').allowed).toBe(true);
    expect(breakers.isOpen('r')).toBe(false);
  });

  describe('every outcome of the half-open probe releases it', () => {
    it('success closes the circuit', () => {
      const { breakers, clock } = openBreaker();
      clock.now = 1_000;
      admitted(breakers.check('r')).success();
      for (let i = 0; i < 3; i++) expect(admitted(breakers.check('r')).probe).toBe(false);
    });

    // 5xx after retries, a timeout, a refused or reset connection and any other thrown error all settle as
    // a failure (RegistryHttp.send maps them so; the RegistryHttp tests below drive each one for real).
    it.each(['5xx', 'timeout', 'connection refused', 'connection reset', 'thrown unknown error'])('%s re-opens it for openMs, then lets a new probe through', () => {
      const { breakers, clock } = openBreaker();
      clock.now = 1_000;
      admitted(breakers.check('r')).failure();
      expect(breakers.check('r')).toEqual({ allowed: false, reason: 'open', retryAfterMs: 1_000 });
      clock.now = 1_999;
      expect(breakers.check('r')).toMatchObject({ allowed: false, reason: 'open', retryAfterMs: 1 });
      clock.now = 2_000;
      const next = admitted(breakers.check('r'));
      expect(next.probe).toBe(true);
      next.success();
      expect(breakers.isOpen('r')).toBe(false);
    });

    it('429 pauses for Retry-After, then lets a new probe through (the circuit is not closed by it)', () => {
      const { breakers, clock } = openBreaker();
      clock.now = 1_000;
      admitted(breakers.check('r')).rateLimited(2_000);
      expect(breakers.check('r')).toEqual({ allowed: false, reason: 'rate-limited', retryAfterMs: 2_000 });
      clock.now = 3_000;
      const next = admitted(breakers.check('r'));
      expect(next.probe).toBe(true);
      expect(breakers.check('r')).toMatchObject({ allowed: false, reason: 'open' });
      next.success();
      expect(admitted(breakers.check('r')).probe).toBe(false);
    });

    it('429 with Retry-After: 0 (or a huge one) frees the probe at once (or after maxPauseMs)', () => {
      const { breakers, clock } = openBreaker();
      clock.now = 1_000;
      admitted(breakers.check('r')).rateLimited(0);
      expect(admitted(breakers.check('r')).probe).toBe(true);
      const { breakers: other, clock: otherClock } = openBreaker({ maxPauseMs: 5_000 });
      otherClock.now = 1_000;
      admitted(other.check('r')).rateLimited(Number.POSITIVE_INFINITY);
      expect(other.check('r')).toEqual({ allowed: false, reason: 'rate-limited', retryAfterMs: 5_000 });
      otherClock.now = 6_000;
      expect(admitted(other.check('r')).probe).toBe(true);
    });

    it('a release without verdict (egress refusal, abort) frees the probe and keeps the circuit half-open', () => {
      const { breakers, clock } = openBreaker();
      clock.now = 1_000;
      admitted(breakers.check('r')).release();
      const next = admitted(breakers.check('r'));
      expect(next.probe).toBe(true);
      expect(breakers.check('r')).toMatchObject({ allowed: false, reason: 'open' });
    });

    it('a probe never settled stops blocking once its deadline has passed', () => {
      const { breakers, clock } = openBreaker();
      clock.now = 1_000;
      const lost = admitted(breakers.check('r', 1_500));
      clock.now = 1_499;
      expect(breakers.check('r')).toMatchObject({ allowed: false, reason: 'open', retryAfterMs: 1 });
      clock.now = 1_500;
      const next = admitted(breakers.check('r', 2_500));
      expect(next.probe).toBe(true);
      // The lost probe settling late does not free its successor's reservation.
      lost.release();
      expect(breakers.check('r')).toMatchObject({ allowed: false, reason: 'open' });
      next.success();
      expect(breakers.check('r').allowed).toBe(true);
    });

    it('without a deadline the reservation lapses after maxProbeMs', () => {
      let now = 0;
      const breakers = new CircuitBreakers({ threshold: 1, openMs: 100, maxProbeMs: 5_000, now: () => now });
      admitted(breakers.check('r')).failure();
      now = 100;
      admitted(breakers.check('r'));
      now = 5_099;
      expect(breakers.check('r').allowed).toBe(false);
      now = 5_100;
      expect(admitted(breakers.check('r')).probe).toBe(true);
    });
  });

  it('the map of states stays bounded: healthy registries are forgotten, the least recently used evicted', () => {
    let now = 0;
    const breakers = new CircuitBreakers({ threshold: 1, openMs: 1_000, maxRegistries: 3, now: () => now });
    for (let i = 0; i < 1_000; i++) admitted(breakers.check(`ok-${i}`)).success();
    expect(breakers.size).toBe(0);
    admitted(breakers.check('a')).failure();
    admitted(breakers.check('b')).failure();
    admitted(breakers.check('c')).failure();
    expect(breakers.check('a').allowed).toBe(false); // touches a: b is now the least recently used
    for (let i = 0; i < 1_000; i++) admitted(breakers.check(`bad-${i}`)).failure();
    expect(breakers.size).toBe(3);
    // A rate-limited registry is forgotten once its pause is over and it answers.
    const limited = new CircuitBreakers({ now: () => now });
    admitted(limited.check('r')).rateLimited(1_000);
    expect(limited.size).toBe(1);
    now += 1_000;
    admitted(limited.check('r')).success();
    expect(limited.size).toBe(0);
  });
});

it('a flood of other registries cannot evict an open circuit', () => {
  let now = 0;
  const breakers = new CircuitBreakers({ threshold: 5, openMs: 10_000, maxRegistries: 100, now: () => now });
  for (let i = 0; i < 5; i++) admitted(breakers.check('failing')).failure();
  for (let i = 0; i < 10_000; i++) admitted(breakers.check(`made-up-${i}.invalid`)).failure(); // one failure each: closed
  expect(breakers.size).toBe(100);
  expect(breakers.check('failing')).toMatchObject({ allowed: false, reason: 'open' });
  now += 10_000;
  expect(breakers.check('failing').allowed).toBe(true);
});

describe('RegistryHttp settles the half-open probe on every path', () => {
  /** What the loopback registry does with the next request. */
  type Script = (req: IncomingMessage, res: ServerResponse) => void;
  const script: Script[] = [];
  let server: Server;
  let origin: string;
  let host: string;
  let refusedPort: number;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      const next = script.shift() ?? ((_, r) => r.writeHead(200, { 'docker-content-digest': 'sha256:ok' }).end());
      next(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    origin = `http://${host}`;
    // A port nothing listens on: connection refused.
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', () => resolve()));
    refusedPort = (spare.address() as AddressInfo).port;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
  });
  beforeEach(() => {
    script.length = 0; // a failed test leaves nothing queued for the next
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** A client whose breaker (threshold 1, open 1 s) runs on a hand-moved clock; requests use real time. */
  function client(options: { throwOnObserve?: boolean } = {}) {
    const clock = { now: 0 };
    const breakers = new CircuitBreakers({ threshold: 1, openMs: 1_000, now: () => clock.now });
    const hosts = [host, `127.0.0.1:${refusedPort}`];
    const http = new RegistryHttp({
      policy: new EgressPolicy(hosts),
      plainHttp: plainHttpSet(hosts),
      timeoutMs: 2_000,
      maxRetries: 1,
      breakers,
      observe: () => {
        if (options.throwOnObserve) throw new TypeError('metrics broke');
      },
    });
    const send = (path = '/v2/', deadlineMs = 2_000) =>
      http.send({ method: 'GET', url: `${origin}${path}`, deadline: Date.now() + deadlineMs, maxBodyBytes: 1_024, followRedirects: true, registry: origin });
    /** Opens the circuit, then moves the clock past openMs: the next request is the probe. */
    const halfOpen = () => {
      const v = breakers.check(origin);
      if (v.allowed) v.ticket.failure();
      clock.now += 1_000;
    };
    return { http, breakers, clock, send, halfOpen };
  }

  const failed = async (p: Promise<unknown>): Promise<ApiError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
    return err;
  };

  it('an answer over the size limit is not a failure of the registry (the circuit stays closed)', async () => {
    const c = client();
    try {
      for (let i = 0; i < 3; i++) {
        script.push((_, res) => res.writeHead(200).end('x'.repeat(4_096)));
        expect((await failed(c.send())).message).toMatch(/sent a response larger than 1024 bytes/);
      }
      expect(c.breakers.size).toBe(0);
      expect((await c.send()).status).toBe(200);
    } finally {
      await c.http.close();
    }
  });

  it('a name that does not resolve is released, not counted against a registry', async () => {
    const clock = { now: 0 };
    const breakers = new CircuitBreakers({ threshold: 1, openMs: 1_000, now: () => clock.now });
    const http = new RegistryHttp({ policy: new EgressPolicy(['no-such-registry.invalid']), plainHttp: plainHttpSet(['no-such-registry.invalid']), timeoutMs: 2_000, maxRetries: 0, breakers });
    try {
      const registry = 'http://no-such-registry.invalid';
      for (let i = 0; i < 3; i++) {
        const error = await failed(http.send({ method: 'GET', url: `${registry}/v2/`, deadline: Date.now() + 2_000, maxBodyBytes: 1_024, followRedirects: true, registry }));
        expect(error.code).toBe('RegistryUnavailable');
        expect(error.message).toMatch(/ENOTFOUND/);
      }
      expect(breakers.size).toBe(0);
    } finally {
      await http.close();
    }
  });

  it('success closes the circuit', async () => {
    const c = client();
    try {
      c.halfOpen();
      expect((await c.send()).status).toBe(200);
      expect(c.breakers.size).toBe(0);
      expect((await c.send()).status).toBe(200);
    } finally {
      await c.http.close();
    }
  });

  it('5xx (after the retries, inside the same probe) re-opens the circuit; the next probe after openMs succeeds', async () => {
    const c = client();
    try {
      c.halfOpen();
      script.push((_, res) => res.writeHead(503).end(), (_, res) => res.writeHead(503).end());
      expect((await c.send()).status).toBe(503);
      expect(c.breakers.check(origin)).toMatchObject({ allowed: false, reason: 'open' });
      c.clock.now += 1_000;
      expect((await c.send()).status).toBe(200);
    } finally {
      await c.http.close();
    }
  });

  it('a 503 then a 200 inside the probe (a retry) closes the circuit', async () => {
    const c = client();
    try {
      c.halfOpen();
      script.push((_, res) => res.writeHead(503).end());
      expect((await c.send()).status).toBe(200);
      expect(c.breakers.isOpen(origin)).toBe(false);
      expect((await c.send()).status).toBe(200);
    } finally {
      await c.http.close();
    }
  });

  it('429 pauses for Retry-After and frees the probe: after the pause a new probe goes and closes the circuit', async () => {
    const c = client();
    try {
      c.halfOpen();
      script.push((_, res) => res.writeHead(429, { 'retry-after': '3' }).end());
      expect((await c.send()).status).toBe(429);
      expect((await failed(c.send())).code).toBe('RegistryRateLimited');
      c.clock.now += 3_000;
      expect((await c.send()).status).toBe(200);
      expect((await c.send()).status).toBe(200);
    } finally {
      await c.http.close();
    }
  });

  it('a timeout re-opens the circuit and frees the probe', async () => {
    const c = client();
    try {
      c.halfOpen();
      const held: ServerResponse[] = [];
      script.push((_, res) => held.push(res)); // never answers
      expect((await failed(c.send('/v2/', 150))).code).toBe('RegistryTimeout');
      for (const res of held) res.destroy();
      expect(c.breakers.check(origin)).toMatchObject({ allowed: false, reason: 'open' });
      c.clock.now += 1_000;
      expect((await c.send()).status).toBe(200);
    } finally {
      await c.http.close();
    }
  });

  it('a reset connection inside the probe is retried under the same probe', async () => {
    const c = client();
    try {
      c.halfOpen();
      script.push((req) => req.socket.destroy());
      expect((await c.send()).status).toBe(200);
      expect(c.breakers.isOpen(origin)).toBe(false);
    } finally {
      await c.http.close();
    }
  });

  it('connection refused re-opens the circuit and frees the probe', async () => {
    const c = client();
    const refused = `http://127.0.0.1:${refusedPort}`;
    try {
      const v = c.breakers.check(refused);
      if (v.allowed) v.ticket.failure();
      c.clock.now += 1_000;
      const send = () => c.http.send({ method: 'GET', url: `${refused}/v2/`, deadline: Date.now() + 2_000, maxBodyBytes: 0, followRedirects: false, registry: refused });
      expect((await failed(send())).message).toContain('ECONNREFUSED');
      expect(c.breakers.check(refused)).toMatchObject({ allowed: false, reason: 'open' });
      c.clock.now += 1_000;
      expect(c.breakers.check(refused)).toMatchObject({ allowed: true }); // a new probe is let through
    } finally {
      await c.http.close();
    }
  });

  it('an egress refusal (a redirect to the metadata address) frees the probe without a verdict', async () => {
    const c = client();
    try {
      c.halfOpen();
      script.push((_, res) => res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
      expect((await failed(c.send())).code).toBe('RegistryNotAllowed');
      // Still half-open, probe free: the next request is the probe and closes the circuit.
      expect((await c.send()).status).toBe(200);
      expect(c.breakers.isOpen(origin)).toBe(false);
    } finally {
      await c.http.close();
    }
  });

  it('any other thrown error frees the probe (as a failure)', async () => {
    const c = client({ throwOnObserve: true });
    try {
      c.halfOpen();
      expect((await failed(c.send())).code).toBe('RegistryUnavailable');
      expect(c.breakers.check(origin)).toMatchObject({ allowed: false, reason: 'open' });
      c.clock.now += 1_000;
      expect(c.breakers.check(origin)).toMatchObject({ allowed: true });
    } finally {
      await c.http.close();
    }
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
