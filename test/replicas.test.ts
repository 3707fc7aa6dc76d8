/**
 * Two service processes (the compiled entry point, as a deployment runs it) sharing one real Redis in
 * front of a real registry: answers agree, the registry sees one manifest request per tag per TTL
 * however many replicas ask, and a tag moved at the registry is seen by both after the TTL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from './support/net.js';
import { startProxy, type TestProxy } from './support/proxy.js';
import { type RedisServer, startRedis, TEST_CACHE_KEY_SECRET } from './support/redis-server.js';
import { RegistryPusher } from './support/registry-push.js';
import { type RegistryServer, startRegistry } from './support/registry-server.js';

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Long enough that the first burst of 100 requests is answered within one TTL even on a busy machine. */
const TTL_SECONDS = 5;

interface Replica {
  url: string;
  child: ChildProcess;
}

async function startReplica(env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok === true, 20_000, 'a replica to listen');
  return { url, child };
}

let registry: RegistryServer;
let proxy: TestProxy;
let redis: RedisServer;
let replicas: Replica[] = [];

describe('two replicas sharing Redis', () => {
  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startProxy(registry.port); // counts the manifest requests that reach the registry
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, CACHE_KEY_SECRET: TEST_CACHE_KEY_SECRET, REGISTRY_PLAIN_HTTP: proxy.host, DIGEST_CACHE_TTL_SECONDS: String(TTL_SECONDS) };
    replicas = await Promise.all([startReplica(env), startReplica(env)]);
  }, 60_000);

  afterAll(async () => {
    for (const replica of replicas) replica.child.kill('SIGTERM');
    await proxy?.close();
    await redis?.dispose();
    await registry?.dispose();
  });

  it('answer alike, with one upstream request per tag per TTL for both', async () => {
    const push = new RegistryPusher(registry.url);
    const first = await push.pushImage('shared/app', 'v1');
    const path = `/v1/digests?image=${encodeURIComponent(`${proxy.host}/shared/app:v1`)}`;
    const before = proxy.manifestRequests().length;
    const answers = await Promise.all(
      replicas.flatMap((replica) => Array.from({ length: 50 }, async () => (await fetch(replica.url + path)).json() as Promise<{ digest: string; expiresAt: string }>)),
    );
    expect(new Set(answers.map((answer) => answer.digest))).toEqual(new Set([first.digest]));
    // One cached answer: one expiry for all of them.
    expect(new Set(answers.map((answer) => answer.expiresAt)).size).toBe(1);
    expect(proxy.manifestRequests().length - before).toBe(1);

    // The tag moves; after the TTL both replicas see the new digest, again with one upstream request.
    const moved = await push.pushImage('shared/app', 'v1', { os: 'linux', architecture: 'arm64' });
    expect(moved.digest).not.toBe(first.digest);
    const expiresAt = Date.parse(answers[0].expiresAt);
    await waitFor(async () => Date.now() > expiresAt, (TTL_SECONDS + 10) * 1000, 'the cached answer to expire');
    const afterMove = proxy.manifestRequests().length;
    const [a, b] = await Promise.all(replicas.map(async (replica) => (await fetch(replica.url + path)).json() as Promise<{ digest: string }>));
    expect([a.digest, b.digest]).toEqual([moved.digest, moved.digest]);
    expect(proxy.manifestRequests().length - afterMove).toBe(1);
  });

  it('both report the shared cache in /readyz', async () => {
    for (const replica of replicas) {
      const ready = (await (await fetch(`${replica.url}/readyz`)).json()) as { status: string; checks: Record<string, { degraded: boolean }> };
      expect(ready.status).toBe('ready');
      expect(ready.checks.digestCache.degraded).toBe(false);
    }
  });
});
