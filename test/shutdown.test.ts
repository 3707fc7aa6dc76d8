/**
 * Graceful shutdown of the compiled service in its own process (`npm test` builds dist/ first): SIGTERM
 * while a slow registry lookup is in flight — the lookup finishes and is answered, new connections are
 * refused, Redis is closed after the last request, and the process ends cleanly.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, sleep, waitFor } from './support/net.js';
import { type RedisServer, startRedis, TEST_CACHE_KEY_SECRET } from './support/redis-server.js';

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIGEST = `sha256:${'c'.repeat(64)}`;

/** A registry that takes `delayMs` to answer each manifest HEAD. */
function slowRegistry(delayMs: number): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      if (req.url === '/v2/' || req.url === '/v2') return res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      if (/^\/v2\/.+\/manifests\//.test(req.url ?? '')) {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': DIGEST, 'content-length': '2' });
          res.end(req.method === 'HEAD' ? undefined : '{}');
        }, delayMs);
        return;
      }
      res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

let redis: RedisServer;
let registry: { server: Server; port: number };
beforeAll(async () => {
  if (!existsSync(MAIN)) return;
  redis = await startRedis();
  registry = await slowRegistry(1_500);
});
afterAll(async () => {
  registry?.server.close();
  await redis?.dispose();
});

describe.skipIf(!existsSync(MAIN))('graceful shutdown', () => {
  it('finishes the in-flight request, refuses new ones, closes Redis and exits', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redis.url, CACHE_KEY_SECRET: TEST_CACHE_KEY_SECRET, REGISTRY_PLAIN_HTTP: `127.0.0.1:${registry.port}`, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok === true, 20_000, 'the service to listen');
      const slow = fetch(`http://127.0.0.1:${port}/v1/digests?image=127.0.0.1:${registry.port}/team/app:1`).then(async (r) => ({ status: r.status, body: (await r.json()) as { digest?: string } }));
      await sleep(300); // the lookup is now waiting on the registry
      const signalled = Date.now();
      child.kill('SIGTERM');
      await sleep(200);
      const late = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 'refused');
      expect([503, 'refused']).toContain(late); // 503 while closing, or the connection refused
      const answer = await slow;
      expect(answer).toEqual({ status: 200, body: expect.objectContaining({ digest: DIGEST, source: 'registry' }) });
      const { code, signal } = await exited;
      expect(code === 0 || signal === 'SIGTERM').toBe(true);
      const took = Date.now() - signalled;
      expect(took).toBeGreaterThanOrEqual(900); // waited for the lookup …
      expect(took).toBeLessThan(5_000); // … and no longer: keep-alive connections do not hold the server open
    } finally {
      child.kill('SIGKILL');
    }
    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(lines.some((line) => line.msg === 'shutting down: finishing in-flight requests')).toBe(true);
    expect(lines.filter((line) => line.level >= 40).map((line) => line.msg)).toEqual([]); // Redis stayed up until the last request
    expect(lines.at(-1)?.msg).toBe('image policy service stopped');
  });
});
