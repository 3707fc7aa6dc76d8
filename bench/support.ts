import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const DIST_ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RunningServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a Node script as a child process (own core scheduling) and waits until `readyPath` answers. */
export async function startServer(script: string, env: Record<string, string>, readyPath = '/healthz'): Promise<RunningServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [script], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      const response = await fetch(url + readyPath);
      if (response.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${script} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface LoadResult {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
}

/** A fixed-duration load from this process (the servers run in their own processes). */
export async function load(options: {
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  connections?: number;
  durationSeconds?: number;
  /** Requests per second for all connections together (a steady load instead of as fast as possible). */
  overallRate?: number;
  /** The path and/or body of each request, from its sequence number (every request can ask something new). */
  requestOf?: (n: number) => { path?: string; body?: string };
}): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    body: options.body,
    headers: options.method === 'POST' ? { 'content-type': 'application/json' } : undefined,
    connections: options.connections ?? 32,
    duration: options.durationSeconds ?? 8,
    ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
    ...(options.requestOf === undefined ? {} : { requests: [{ setupRequest: requestSetter(options.requestOf) }] }),
  });
  return {
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

function requestSetter(requestOf: (n: number) => { path?: string; body?: string }) {
  let n = 0;
  return <R extends object>(request: R): R => Object.assign(request, requestOf(n++));
}

export function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(58)} ${value}\n`);
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export type LoadOptions = Parameters<typeof load>[0];

/** A load's median result over the rounds of `compare`, with each round's requests per second. */
export interface ComparedResult extends LoadResult {
  rounds: number[];
}

/**
 * Measures several loads in alternation, `rounds` short runs each, and keeps each one's median: the machine's
 * speed drifts over seconds here, and runs measured side by side see the same drift.
 */
export async function compare(loads: LoadOptions[], durationSeconds: number, rounds = Number(process.env.BENCH_ROUNDS ?? 9)): Promise<ComparedResult[]> {
  const results: LoadResult[][] = loads.map(() => []);
  const each = Math.max(1, Math.round(durationSeconds / rounds));
  for (let round = 0; round < rounds; round++) {
    for (const [index, options] of loads.entries()) results[index].push(await load({ ...options, durationSeconds: each }));
  }
  return results.map((runs) => {
    const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
    const median = sorted[Math.floor(sorted.length / 2)];
    return {
      ...median,
      non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      rounds: runs.map((run) => run.requestsPerSecond),
    };
  });
}

/** a's speed relative to b's: the median of the rounds' ratios (each pair measured back to back). */
export function ratio(a: ComparedResult, b: ComparedResult): number {
  const ratios = a.rounds.map((rps, i) => rps / b.rounds[i]).sort((x, y) => x - y);
  return ratios[Math.floor(ratios.length / 2)];
}

/** A ratio as a whole percentage. */
export const percent = (value: number): string => `${Math.round(value * 100)} %`;
