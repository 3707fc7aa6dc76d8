/**
 * Graceful shutdown of the compiled service in its own process (the test command builds dist/ first:
 * vitest.config.ts): SIGTERM while a registry lookup is in flight — new connections are refused while it
 * waits, it finishes and is answered, an idle keep-alive connection does not hold the process, Redis is
 * closed after the last request, and the process ends cleanly. Every step waits on its event, not a clock.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from './support/net.js';
import { type RedisServer, startRedis, TEST_CACHE_KEY_SECRET } from './support/redis-server.js';

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIGEST = `sha256:${'c'.repeat(64)}`;

interface HeldRegistry {
  server: Server;
  port: number;
  /** Resolves when the first manifest request arrives (the lookup is then waiting on the registry). */
  asked: Promise<void>;
  /** Answers the held manifest requests (and any later ones at once). */
  release(): void;
}

/** A registry that holds every manifest request until `release()`: a lookup in flight for as long as the test needs. */
function heldRegistry(): Promise<HeldRegistry> {
  let released = false;
  const held: Array<() => void> = [];
  let onAsked: () => void = () => undefined;
  const asked = new Promise<void>((resolve) => (onAsked = resolve));
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      if (req.url === '/v2/' || req.url === '/v2') return res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      if (/^\/v2\/.+\/manifests\//.test(req.url ?? '')) {
        const answer = (): void => {
          res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': DIGEST, 'content-length': '2' });
          res.end(req.method === 'HEAD' ? undefined : '{}');
        };
        onAsked();
        if (released) answer();
        else held.push(answer);
        return;
      }
      res.writeHead(404).end();
    });
    const release = (): void => {
      released = true;
      for (const answer of held.splice(0)) answer();
    };
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, asked, release }));
  });
}

/** A raw HTTP/1.1 keep-alive connection that has had its answer and stays open, idle; resolves once answered. */
function idleKeepAlive(port: number): Promise<{ closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n'));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
      const headersEnd = received.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(received)?.[1];
      if (headersEnd >= 0 && length !== undefined && received.length >= headersEnd + 4 + Number(length)) resolve({ closed });
    });
    socket.once('error', reject);
  });
}

let redis: RedisServer;
let registry: HeldRegistry;
beforeAll(async () => {
  redis = await startRedis();
  registry = await heldRegistry();
});
afterAll(async () => {
  registry?.release();
  registry?.server.close();
  await redis?.dispose();
});

describe('graceful shutdown', () => {
  it('refuses new requests while the in-flight one waits, finishes it, closes idle connections and Redis, and exits', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        REDIS_URL: redis.url,
        CACHE_KEY_SECRET: TEST_CACHE_KEY_SECRET,
        REGISTRY_PLAIN_HTTP: `127.0.0.1:${registry.port}`,
        // The held lookup must not time out while the test checks the shutdown around it.
        REGISTRY_TIMEOUT_MS: '20000',
        // Anything that held the process open (an idle keep-alive connection) would end it here, with exit code 1
        // and an error line, well within the test's time.
        SHUTDOWN_TIMEOUT_MS: '15000',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok === true, 20_000, 'the service to listen');
      const idle = await idleKeepAlive(port);
      let slowSettled = false;
      const slow = fetch(`http://127.0.0.1:${port}/v1/digests?image=127.0.0.1:${registry.port}/team/app:1`)
        .then(async (r) => ({ status: r.status, body: (await r.json()) as { digest?: string } }))
        .finally(() => (slowSettled = true));
      await registry.asked; // the lookup is now waiting on the registry
      child.kill('SIGTERM');
      // New requests: 503 while closing, or the connection refused — while the lookup is still waiting.
      let late: number | string = 200;
      await waitFor(async () => {
        late = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 'refused');
        return late !== 200;
      }, 10_000, 'new requests to be refused after SIGTERM');
      expect([503, 'refused']).toContain(late);
      expect(slowSettled).toBe(false);
      registry.release();
      const answer = await slow;
      expect(answer).toEqual({ status: 200, body: expect.objectContaining({ digest: DIGEST, source: 'registry' }) });
      const { code, signal } = await exited;
      expect(code === 0 || signal === 'SIGTERM').toBe(true); // not the SHUTDOWN_TIMEOUT_MS exit (code 1)
      await idle.closed;
    } finally {
      child.kill('SIGKILL');
    }
    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(lines.some((line) => line.msg === 'shutting down: finishing in-flight requests')).toBe(true);
    expect(lines.filter((line) => line.level >= 40).map((line) => line.msg)).toEqual([]); // Redis stayed up until the last request; no shutdown timeout
    expect(lines.at(-1)?.msg).toBe('image policy service stopped');
  });
});
