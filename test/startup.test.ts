/**
 * The service as `npm start` runs it: the compiled entry point in its own process (vitest builds `dist/`
 * first: vitest.config.ts, test/support/build-dist.ts). Checks the embedded-default start and that bad
 * configuration stops the start.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, waitFor } from './support/net.js';

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => output };
}

describe('starting the compiled service', () => {
  it('serves on the embedded defaults (in-memory cache, bundled plugins) and logs JSON', async () => {
    const port = await freePort();
    const server = run({ PORT: String(port), HOST: '127.0.0.1' });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok === true, 20_000, 'the service to listen');
      const answer = await (await fetch(`http://127.0.0.1:${port}/v1/references/parse?reference=nginx`)).json();
      expect(answer).toMatchObject({ canonical: 'docker.io/library/nginx', defaultPullPolicy: 'Always' });
      const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { status: string };
      expect(ready.status).toMatch(/^(ready|degraded)$/);
    } finally {
      server.child.kill('SIGTERM');
      // Graceful shutdown ends the process with the signal it received (or exit code 0).
      const { code, signal } = await server.exited;
      expect(code === 0 || signal === 'SIGTERM').toBe(true);
    }
    const lines = server.output().trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow(); // structured logs only
    expect(server.output()).toContain('"route":"/v1/references/parse"');
  });

  it.each([
    ['PORT', 'http'],
    ['DIGEST_CACHE_TTL_SECONDS', '-5'],
    ['REDIS_URL', 'localhost'],
  ])('stops at start when %s is invalid, naming the variable', async (name, value) => {
    const server = run({ [name]: value });
    expect((await server.exited).code).toBe(1);
    expect(server.output()).toContain(`Invalid configuration: ${name}`);
  });

  it.each([
    ['missing', {}, 'CACHE_KEY_SECRET must be set when REDIS_URL is set'],
    ['too short', { CACHE_KEY_SECRET: 'not-long-enough-secret' }, 'CACHE_KEY_SECRET must be at least 32 characters'],
  ])('stops at start with REDIS_URL and CACHE_KEY_SECRET %s, naming the variable and not the value', async (_case, env: Record<string, string>, message) => {
    const server = run({ REDIS_URL: 'redis://127.0.0.1:1', ...env });
    expect((await server.exited).code).toBe(1);
    expect(server.output()).toContain(`Invalid configuration: ${message}`);
    expect(server.output()).not.toContain('not-long-enough-secret');
  });
});
