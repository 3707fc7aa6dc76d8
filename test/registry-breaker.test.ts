/**
 * The circuit breaker's whole story against a real registry (Debian docker-registry) behind a proxy:
 * the registry fails (503) until its circuit opens, rate-limits (429, Retry-After: 1) the half-open
 * probe, then recovers — and the service uses it again once the pause is over. Waits are bounded polls
 * on the condition, never fixed sleeps.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from './support/app.js';
import { sleep } from './support/net.js';
import { startProxy, type TestProxy } from './support/proxy.js';
import { RegistryPusher } from './support/registry-push.js';
import { type RegistryServer, startRegistry } from './support/registry-server.js';

let registry: RegistryServer;
let proxy: TestProxy;
let app: NestFastifyApplication;
let http: ReturnType<typeof request>;

/** What the proxy does: answer 503, answer the next request 429 (then pass), or pass through. */
let phase: 'fail' | 'limit' | 'pass' = 'pass';
/** Every request that reached the proxy, with what it got and when. */
const seen: { at: number; answer: number | 'forwarded'; method: string; path: string }[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startProxy(registry.port, {
    intercept: (req) => {
      const at = Date.now();
      const base = { at, method: req.method ?? '', path: req.url ?? '' };
      if (phase === 'fail') {
        seen.push({ ...base, answer: 503 });
        return { status: 503 };
      }
      if (phase === 'limit') {
        phase = 'pass';
        seen.push({ ...base, answer: 429 });
        return { status: 429, headers: { 'retry-after': '1' } };
      }
      seen.push({ ...base, answer: 'forwarded' });
      return undefined;
    },
  });
  app = await startTestApp({
    REGISTRY_PLAIN_HTTP: proxy.host,
    REGISTRY_TIMEOUT_MS: '2000',
    REGISTRY_CIRCUIT_THRESHOLD: '2',
    // Long enough that the check right after the circuit opens ("refused without asking") still falls inside
    // the open window on a busy machine; short enough that the recovery below is quick.
    REGISTRY_CIRCUIT_OPEN_MS: '3000',
  });
  http = request(app.getHttpServer());
});
afterAll(async () => {
  await app?.close();
  await proxy?.close();
  await registry?.dispose();
});

/** Repeats the lookup until `done` says so, bounded; returns every answer seen. */
async function lookUntil(image: string, done: (res: request.Response) => boolean, what: string, limitMs = 20_000) {
  const answers: request.Response[] = [];
  const giveUp = Date.now() + limitMs;
  for (;;) {
    const res = await http.get('/v1/digests').query({ image });
    answers.push(res);
    if (done(res)) return answers;
    if (Date.now() > giveUp) {
      const codes = answers.map((a) => `${a.status} ${a.body?.error?.code ?? ''}`);
      throw new Error(`${what} did not happen within ${limitMs} ms; answers: ${codes.slice(-10).join(', ')}`);
    }
    await sleep(25);
  }
}

describe('circuit breaker against a real registry', () => {
  it('a registry that fails, then rate-limits the half-open probe, then recovers is used again after the pause', async () => {
    const pushed = await new RegistryPusher(registry.url).pushImage('breaker/app', 'v1');
    const image = `${proxy.host}/breaker/app:v1`;

    // 1. The registry fails until the circuit opens: then the service stops asking it.
    phase = 'fail';
    const failing = await lookUntil(image, (res) => res.status === 503 && /not asked again/.test(res.body.error.message), 'the circuit opening');
    for (const res of failing) expect(res.body.error.code).toBe('RegistryUnavailable');
    const whileOpen = seen.length;
    const open = await http.get('/v1/digests').query({ image }).expect(503);
    expect(open.body.error.code).toBe('RegistryUnavailable');
    expect(open.headers['retry-after']).toBeDefined();
    expect(seen.length).toBe(whileOpen); // refused without asking the registry

    // 2. After the cool-down the half-open probe gets a 429; 3. then the registry answers again.
    phase = 'limit';
    const recovering = await lookUntil(image, (res) => res.status === 200, 'recovery');
    const last = recovering[recovering.length - 1];
    expect(last.body).toMatchObject({ image, digest: pushed.digest, source: 'registry', stale: false });
    expect(recovering.map((res) => res.body.error?.code)).toContain('RegistryRateLimited');

    // The probe got the one 429; the registry was not asked again before its Retry-After had passed,
    // and the next request after the pause was let through to the real registry.
    const limited = seen.filter((s) => s.answer === 429);
    expect(limited).toHaveLength(1);
    const after = seen.slice(seen.indexOf(limited[0]) + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((s) => s.answer === 'forwarded')).toBe(true);
    expect(after[0].at - limited[0].at).toBeGreaterThanOrEqual(900);

    // Closed again: later lookups reach the registry (not the cache) without refusals.
    const other = await new RegistryPusher(registry.url).pushImage('breaker/other', 'v1');
    const again = await http.get('/v1/digests').query({ image: `${proxy.host}/breaker/other:v1` }).expect(200);
    expect(again.body).toMatchObject({ digest: other.digest, source: 'registry' });
  });
});
