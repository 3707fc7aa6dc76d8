/**
 * The soak (issue 11, "prove it holds"): minutes of mixed traffic against the built service with Redis and a
 * real registry on loopback, both killed (SIGKILL) and restarted during the run, checking every answer, and
 * the service's heap after forced garbage collections: after a warm-up, after N and then 2N more requests
 * whose inputs are all new (the kept answers are bounded), and at the end.
 *
 * The service gets no route to trigger a GC: it runs with `--inspect` on a free 127.0.0.1 port and the
 * bench asks V8 for a full collection over the inspector protocol (HeapProfiler.collectGarbage), then reads
 * the heap from GET /metrics (prom-client's default metrics).
 *
 * Everything is bounded: requests stop at a deadline or a count, at most IN_FLIGHT at once, loopback only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Pool, WebSocket } from 'undici';
import { startRedis, TEST_CACHE_KEY_SECRET } from '../test/support/redis-server.js';
import { RegistryPusher } from '../test/support/registry-push.js';
import { startRegistry } from '../test/support/registry-server.js';
import { DIST_ROOT, fmt, freePort, line } from './support.js';

const MAIN = join(DIST_ROOT, 'src', 'main.js');
const ROOT = join(DIST_ROOT, '..');
const IN_FLIGHT = Number(process.env.BENCH_SOAK_IN_FLIGHT ?? 32);
/** Requests of each distinct-input round: N, then 2N more. */
const DISTINCT = Number(process.env.BENCH_SOAK_DISTINCT ?? 30_000);
const WARM_UP_SECONDS = 10;
/** Outages: every CHAOS_PERIOD seconds, down for CHAOS_DOWN seconds; Redis offset by half a period. */
const CHAOS_PERIOD = 60;
const CHAOS_DOWN = 10;
const REGISTRY_FIRST_KILL = 20;
const REDIS_FIRST_KILL = 50;
/** The criterion of the soak's memory: heap used after a forced GC at the end ≤ this × after the warm-up. */
const END_HEAP_FACTOR = 1.5;
/** And of the distinct inputs: heap after N + 2N new inputs ≤ this × after the first N. */
const DISTINCT_HEAP_FACTOR = 1.2;
/** Pushed tags looked up without a fresh cached answer: more than DigestService keeps (4 096). */
const POOL_IMAGES = 500;
const TAGS_PER_IMAGE = 10;
const HARD_REQUEST_CAP = 50_000_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const MiB = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MiB`;

// ---------------------------------------------------------------------------------------------------
// The service, started here (not with startServer): --inspect for the forced GC, stdout read for log levels
// ---------------------------------------------------------------------------------------------------

interface Service {
  url: string;
  pid: number;
  inspectPort: number;
  child: ChildProcess;
  /** Log lines by level name, and the first few error-level messages. */
  logLevels: Map<string, number>;
  errorMessages: string[];
  stderr: string[];
  stop(): Promise<void>;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

async function startService(env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const inspectPort = await freePort();
  const child = spawn(process.execPath, [`--inspect=127.0.0.1:${inspectPort}`, MAIN], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logLevels = new Map<string, number>();
  const errorMessages: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let level = 'other';
    let message = text;
    try {
      const entry = JSON.parse(text) as { level?: number | string; msg?: string };
      level = typeof entry.level === 'number' ? (LEVEL_NAMES[entry.level] ?? String(entry.level)) : String(entry.level ?? 'other');
      message = entry.msg ?? text;
    } catch {
      // not JSON: counted as "other"
    }
    logLevels.set(level, (logLevels.get(level) ?? 0) + 1);
    if ((level === 'error' || level === 'fatal') && errorMessages.length < 5 && !errorMessages.includes(message)) errorMessages.push(message.slice(0, 200));
  });
  createInterface({ input: child.stderr! }).on('line', (text) => {
    // The inspector's own notices are expected; anything else is reported.
    if (/^(Debugger listening on|Debugger ending on|For help, see:|Debugger attached\.|Waiting for the debugger)/.test(text)) return;
    if (stderr.length < 20) stderr.push(text.slice(0, 300));
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${MAIN} exited with ${child.exitCode}: ${stderr.join('\n')}`);
    try {
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${MAIN} did not start`);
    await sleep(100);
  }
  return {
    url,
    pid: child.pid ?? 0,
    inspectPort,
    child,
    logLevels,
    errorMessages,
    stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A full garbage collection in the service, asked over its inspector (no route of the service is involved). */
async function forceGc(service: Service): Promise<void> {
  const targets = (await (await fetch(`http://127.0.0.1:${service.inspectPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error('inspector connection failed')), { once: true });
    });
    for (let id = 1; id <= 2; id++) {
      // Twice: the first collection can leave objects whose finalisers free more.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('HeapProfiler.collectGarbage timed out')), 30_000);
        const onMessage = (event: { data: unknown }): void => {
          const reply = JSON.parse(String(event.data)) as { id?: number; error?: { message: string } };
          if (reply.id !== id) return;
          clearTimeout(timer);
          socket.removeEventListener('message', onMessage);
          if (reply.error) reject(new Error(reply.error.message));
          else resolve();
        };
        socket.addEventListener('message', onMessage);
        socket.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
      });
    }
  } finally {
    socket.close();
  }
}

interface Memory {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  /** Entries in the service's local digest cache (tag → digest records, and digest-keyed content). */
  cacheRefs: number;
  cacheContent: number;
}

async function memoryOf(service: Service): Promise<Memory> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const metric = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    heapUsed: metric('nodejs_heap_size_used_bytes'),
    heapTotal: metric('nodejs_heap_size_total_bytes'),
    rss: metric('process_resident_memory_bytes'),
    external: metric('nodejs_external_memory_bytes'),
    cacheRefs: metric('image_policy_digest_cache_entries\\{tier="refs"\\}'),
    cacheContent: metric('image_policy_digest_cache_entries\\{tier="content"\\}'),
  };
}

/** Idle for a moment, a forced GC, then the heap as /metrics reports it. */
async function settledMemory(service: Service): Promise<Memory> {
  await sleep(2_000);
  await forceGc(service);
  return memoryOf(service);
}

const memoryText = (m: Memory): string =>
  `heap used ${MiB(m.heapUsed)} (total ${MiB(m.heapTotal)}), rss ${MiB(m.rss)}, digest cache ${fmt(m.cacheRefs)} refs / ${fmt(m.cacheContent)} content`;

/** One Redis command over a raw socket (DBSIZE at the end: the service did write to Redis). */
function redisInteger(port: number, command: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(2_000);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(Number(/^:(\d+)/.exec(data.toString())?.[1] ?? NaN));
    });
    socket.once('error', () => resolve(NaN));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(NaN);
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// The traffic: eight routes, every request (but the cached lookup) with an input not asked before
// ---------------------------------------------------------------------------------------------------

type RouteName =
  | 'GET /v1/references/parse'
  | 'POST /v1/references/parse (20 refs)'
  | 'POST /v1/pull-decisions (simulated registry)'
  | 'POST /v1/pull-decisions (registry lookup)'
  | 'POST /v1/admission/validate'
  | 'POST /v1/admission/mutate'
  | 'GET /v1/digests (cached tag)'
  | 'GET /v1/digests (uncached tag)';

/** Routes whose answers depend on the real registry: the documented registry errors are allowed there. */
const LOOKUP_ROUTES = new Set<RouteName>(['POST /v1/pull-decisions (registry lookup)', 'GET /v1/digests (cached tag)', 'GET /v1/digests (uncached tag)']);
const REGISTRY_ERRORS = new Set(['502 RegistryUnauthorized', '503 RegistryUnavailable', '503 RegistryRateLimited', '504 RegistryTimeout']);

/** Requests per route in every 20: parse 7, decisions 5, admission 4, digests 4. */
const SCHEDULE: RouteName[] = [
  'GET /v1/references/parse', 'GET /v1/digests (cached tag)', 'POST /v1/pull-decisions (simulated registry)', 'POST /v1/admission/mutate',
  'GET /v1/references/parse', 'GET /v1/digests (uncached tag)', 'POST /v1/references/parse (20 refs)', 'POST /v1/pull-decisions (registry lookup)',
  'GET /v1/references/parse', 'POST /v1/admission/validate', 'POST /v1/pull-decisions (simulated registry)', 'GET /v1/digests (cached tag)',
  'GET /v1/references/parse', 'POST /v1/references/parse (20 refs)', 'POST /v1/admission/mutate', 'GET /v1/digests (uncached tag)',
  'GET /v1/references/parse', 'POST /v1/pull-decisions (simulated registry)', 'POST /v1/admission/validate', 'POST /v1/pull-decisions (registry lookup)',
];

interface Request {
  route: RouteName;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** A tag deliberately missing from the registry: 404 ManifestUnknown is its expected answer. */
  missing?: boolean;
  /** Checks a 2xx answer's body; returns a problem, or null. */
  check(body: unknown): string | null;
}

interface Fixture {
  registryHost: string;
  cachedImage: string;
  cachedDigest: string;
  /** Pushed tags (image → digest) looked up in turn: more of them than DigestService keeps. */
  pool: { image: string; digest: string }[];
}

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const HEX = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
const REGISTRIES = ['', 'docker.io/', 'ghcr.io/', 'quay.io/', 'localhost:5000/', 'harbor.corp.example.com:8443/', '[2001:db8::1]:5000/'];

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});

/** A reference no request asked before (the counter is in the path and the tag). */
const newReference = (n: number): string => `${REGISTRIES[n % REGISTRIES.length]}org/soak-${n}:1.${n % 97}.${Math.floor(n / 97) % 1000}`;

function podReview(n: number, operation: 'validate' | 'mutate'): { body: string; uid: string } {
  const uid = `soak-${operation}-${n}`;
  const containers = [
    { name: 'web', image: `ghcr.io/org/web-${n}:1.${n % 50}` },
    { name: 'proxy', image: `nginx:1.${n % 30}.${n}` },
    { name: 'pinned', image: `quay.io/team/svc-${n}@sha256:${HEX}` },
  ];
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      name: `web-${n}`,
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters'] },
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${n}`, namespace: 'shop', labels: { app: 'web', n: String(n) } }, spec: { containers } },
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  });
  return { body, uid };
}

function checkReview(uid: string) {
  return (body: unknown): string | null => {
    const response = obj(obj(body).response);
    if (response.uid !== uid) return `uid ${String(response.uid)} for ${uid}`;
    return response.allowed === true ? null : `not allowed: ${JSON.stringify(response.status ?? null).slice(0, 120)}`;
  };
}

function checkDigest(expected: string) {
  return (body: unknown): string | null => (obj(body).digest === expected ? null : `digest ${String(obj(body).digest)}, expected ${expected}`);
}

function checkDecision(image: string) {
  return (body: unknown): string | null => {
    const answer = obj(body);
    if (answer.image !== image) return `image ${String(answer.image)} for ${image}`;
    return typeof answer.action === 'string' ? null : 'no action';
  };
}

/** Per slot of SCHEDULE: how many slots its route has, and which of them this one is. */
const SLOTS = SCHEDULE.map((route, slot) => ({ count: SCHEDULE.filter((r) => r === route).length, ordinal: SCHEDULE.slice(0, slot).filter((r) => r === route).length }));

function requestOf(n: number, fixture: Fixture): Request {
  const route = SCHEDULE[n % SCHEDULE.length];
  // This route's own request counter (0, 1, 2 … for its requests only).
  const { count, ordinal } = SLOTS[n % SCHEDULE.length];
  const seq = Math.floor(n / SCHEDULE.length) * count + ordinal;
  switch (route) {
    case 'GET /v1/references/parse': {
      const reference = newReference(n);
      return {
        route,
        method: 'GET',
        path: `/v1/references/parse?reference=${encodeURIComponent(reference)}`,
        check: (body) => (obj(body).input === reference ? null : `input ${String(obj(body).input)} for ${reference}`),
      };
    }
    case 'POST /v1/references/parse (20 refs)': {
      // 18 new valid references and 2 invalid ones (answered inside the 200, in order).
      const references = Array.from({ length: 20 }, (_, i) => (i === 7 ? `Org/Soak-${n}` : i === 13 ? `org/soak-${n}:` : newReference(n * 20 + i + 1_000_000_000)));
      return {
        route,
        method: 'POST',
        path: '/v1/references/parse',
        body: JSON.stringify({ references }),
        check: (body) => {
          const results = obj(body).results;
          if (!Array.isArray(results) || results.length !== references.length) return 'results missing or of the wrong length';
          const ok = results.map((result) => obj(result).ok);
          return ok.filter((value) => value === true).length === 18 && ok[7] === false && ok[13] === false ? null : `validity ${JSON.stringify(ok)}`;
        },
      };
    }
    case 'POST /v1/pull-decisions (simulated registry)': {
      const image = `ghcr.io/org/decide-${n}:v${n % 10}`;
      const local = n % 2 === 0;
      return {
        route,
        method: 'POST',
        path: '/v1/pull-decisions',
        body: JSON.stringify({
          image,
          imagePullPolicy: n % 3 === 0 ? 'Always' : 'IfNotPresent',
          node: { images: local ? [{ references: [image], digest: DIGEST_A, pulledBy: 'kubelet', pulledWith: [{ anonymous: true }] }] : [] },
          pod: { namespace: 'shop', name: `pod-${n}` },
          registry: { available: n % 5 !== 0, exists: true, authorized: true, digest: n % 4 === 0 ? DIGEST_A : `sha256:${HEX}` },
        }),
        check: checkDecision(image),
      };
    }
    case 'POST /v1/pull-decisions (registry lookup)': {
      const { image, digest } = fixture.pool[(seq * 7 + 2_500) % fixture.pool.length];
      return {
        route,
        method: 'POST',
        path: '/v1/pull-decisions',
        body: JSON.stringify({
          image,
          imagePullPolicy: 'Always',
          node: { images: [{ references: [image], digest, pulledBy: 'kubelet', pulledWith: [{ anonymous: true }] }] },
          pod: { namespace: 'shop', name: `pod-${n}` },
        }),
        check: checkDecision(image),
      };
    }
    case 'POST /v1/admission/validate':
    case 'POST /v1/admission/mutate': {
      const operation = route === 'POST /v1/admission/validate' ? 'validate' : 'mutate';
      const { body, uid } = podReview(n, operation);
      return { route, method: 'POST', path: `/v1/admission/${operation}`, body, check: checkReview(uid) };
    }
    case 'GET /v1/digests (cached tag)':
      return { route, method: 'GET', path: `/v1/digests?image=${encodeURIComponent(fixture.cachedImage)}`, check: checkDigest(fixture.cachedDigest) };
    case 'GET /v1/digests (uncached tag)': {
      if (seq % 3 === 0) {
        // A tag that was never pushed, new every time: always asked upstream, 404 ManifestUnknown while the registry is up.
        const image = `${fixture.registryHost}/soak/pool-0:missing-${n}`;
        return { route, method: 'GET', path: `/v1/digests?image=${encodeURIComponent(image)}`, missing: true, check: () => 'a missing tag answered 2xx' };
      }
      const { image, digest } = fixture.pool[(seq - Math.floor(seq / 3) - 1) % fixture.pool.length]; // the pool in order
      return { route, method: 'GET', path: `/v1/digests?image=${encodeURIComponent(image)}`, check: checkDigest(digest) };
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Running a phase of traffic, and what it saw
// ---------------------------------------------------------------------------------------------------

interface RouteStats {
  sent: number;
  ok: number;
  /** `status code` → count, for every non-2xx answer. */
  non2xx: Map<string, number>;
  /** Wrong 2xx answers: problem → count. */
  wrong: Map<string, number>;
  /** Connection or timeout errors reaching the service: error code → count. */
  errors: Map<string, number>;
  latenciesMs: number[];
  stale: number;
}

class PhaseStats {
  readonly routes = new Map<RouteName, RouteStats>();
  sent = 0;
  startedAt = performance.now();
  endedAt = 0;

  of(route: RouteName): RouteStats {
    let stats = this.routes.get(route);
    if (!stats) {
      stats = { sent: 0, ok: 0, non2xx: new Map(), wrong: new Map(), errors: new Map(), latenciesMs: [], stale: 0 };
      this.routes.set(route, stats);
    }
    return stats;
  }

  get seconds(): number {
    return ((this.endedAt || performance.now()) - this.startedAt) / 1000;
  }

  /** FAIL lines: connection errors, wrong answers, and non-2xx answers that are not allowed on the route. */
  failures(): string[] {
    const lines: string[] = [];
    for (const [route, stats] of this.routes) {
      for (const [code, count] of stats.errors) lines.push(`${route}: ${fmt(count)} × connection error ${code}`);
      for (const [problem, count] of stats.wrong) lines.push(`${route}: ${fmt(count)} × wrong answer (${problem})`);
      for (const [key, count] of stats.non2xx) if (!allowed(route, key)) lines.push(`${route}: ${fmt(count)} × ${key}`);
    }
    return lines;
  }

  non2xxTotal(): number {
    let total = 0;
    for (const stats of this.routes.values()) for (const count of stats.non2xx.values()) total += count;
    return total;
  }
}

/** `missing` keys are recorded with a suffix so a 404 on a pushed tag stays a failure. */
function allowed(route: RouteName, key: string): boolean {
  if (!LOOKUP_ROUTES.has(route)) return false;
  return REGISTRY_ERRORS.has(key.replace(' (missing tag)', '')) || key === '404 ManifestUnknown (missing tag)';
}

interface RegistryWatch {
  /** When the registry last came back (performance.now()), until an uncached lookup succeeds again. */
  backAt: number | null;
  recoveriesMs: number[];
}

/** Sends the mix with IN_FLIGHT requests at once until `until` (performance.now()) or `count` requests. */
async function traffic(pool: Pool, fixture: Fixture, options: { until: number; count: number; first: number; watch?: RegistryWatch }, stats = new PhaseStats()): Promise<PhaseStats> {
  let next = options.first;
  const last = options.first + Math.min(options.count, HARD_REQUEST_CAP);
  const worker = async (): Promise<void> => {
    while (next < last && performance.now() < options.until) {
      const n = next++;
      const request = requestOf(n, fixture);
      const route = stats.of(request.route);
      route.sent++;
      stats.sent++;
      const sentAt = performance.now();
      try {
        const response = await pool.request({
          method: request.method,
          path: request.path,
          headers: request.body === undefined ? {} : { 'content-type': 'application/json' },
          body: request.body,
          headersTimeout: 30_000,
          bodyTimeout: 30_000,
        });
        const text = await response.body.text();
        route.latenciesMs.push(performance.now() - sentAt);
        let body: unknown = null;
        try {
          body = JSON.parse(text);
        } catch {
          // an answer that is not JSON: reported below
        }
        if (response.statusCode >= 200 && response.statusCode < 300) {
          const problem = body === null ? 'not JSON' : request.check(body);
          if (problem === null) {
            route.ok++;
            if (obj(body).stale === true) route.stale++;
            if (options.watch?.backAt != null && sentAt > options.watch.backAt && request.route === 'GET /v1/digests (uncached tag)' && obj(body).stale === false) {
              options.watch.recoveriesMs.push(performance.now() - options.watch.backAt);
              options.watch.backAt = null;
            }
          } else {
            const key = problem.replace(/\d+/g, '#').slice(0, 100); // grouped: the counters differ per request
            route.wrong.set(key, (route.wrong.get(key) ?? 0) + 1);
          }
        } else {
          const code = String(obj(obj(body).error).code ?? 'no error code');
          const key = `${response.statusCode} ${code}${request.missing ? ' (missing tag)' : ''}`;
          route.non2xx.set(key, (route.non2xx.get(key) ?? 0) + 1);
        }
      } catch (error) {
        const code = String((error as { code?: string }).code ?? (error as Error).message ?? error);
        route.errors.set(code, (route.errors.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  stats.endedAt = performance.now();
  return stats;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const ms = (value: number): string => (value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`);

function phaseSummary(stats: PhaseStats): string {
  const failures = stats.failures().length;
  return `${fmt(stats.sent)} requests in ${stats.seconds.toFixed(0)} s (${fmt(stats.sent / stats.seconds)}/s), non-2xx ${fmt(stats.non2xxTotal())}, ${failures === 0 ? 'no failures' : `${failures} FAIL kinds`}`;
}

// ---------------------------------------------------------------------------------------------------
// The section
// ---------------------------------------------------------------------------------------------------

export async function benchSoak(seconds: number): Promise<void> {
  const verdicts: boolean[] = [];
  const registry = await startRegistry();
  const redis = await startRedis();
  const push = new RegistryPusher(registry.url);
  let service: Service | null = null;
  let pool: Pool | null = null;
  try {
    // The registry's content: one image looked up again and again (cached), POOL_IMAGES × TAGS_PER_IMAGE tags looked up in turn.
    const pushStarted = performance.now();
    const cached = await push.pushImage('soak/cached', 'v1');
    // Tag t of image i at [t × POOL_IMAGES + i]: consecutive lookups ask different images.
    const poolEntries: Fixture['pool'] = new Array(POOL_IMAGES * TAGS_PER_IMAGE);
    for (let start = 0; start < POOL_IMAGES; start += 16) {
      await Promise.all(
        Array.from({ length: Math.min(16, POOL_IMAGES - start) }, async (_, i) => {
          const index = start + i;
          const name = `soak/pool-${index % 10}`;
          const descriptor = await push.pushImage(name, `t${index}-0`);
          // The same manifest under more tags: a tag each, the same digest.
          const manifest = await fetch(`${registry.url}/v2/${name}/manifests/t${index}-0`, { headers: { accept: descriptor.mediaType } });
          const bytes = Buffer.from(await manifest.arrayBuffer());
          await Promise.all(Array.from({ length: TAGS_PER_IMAGE - 1 }, (_, t) => push.pushManifest(name, `t${index}-${t + 1}`, descriptor.mediaType, bytes)));
          for (let t = 0; t < TAGS_PER_IMAGE; t++) poolEntries[t * POOL_IMAGES + index] = { image: `${registry.host}/${name}:t${index}-${t}`, digest: descriptor.digest };
        }),
      );
    }
    const fixture: Fixture = { registryHost: registry.host, cachedImage: `${registry.host}/soak/cached:v1`, cachedDigest: cached.digest, pool: poolEntries };
    line('soak: registry and Redis on loopback, tags pushed', `${fmt(poolEntries.length + 1)} tags (${fmt(POOL_IMAGES + 1)} images) in ${((performance.now() - pushStarted) / 1000).toFixed(1)} s`);

    service = await startService({
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      ACCESS_LOG: 'off',
      REDIS_URL: redis.url,
      CACHE_KEY_SECRET: TEST_CACHE_KEY_SECRET,
      REGISTRY_PLAIN_HTTP: registry.host,
      DIGEST_CACHE_TTL_SECONDS: '2',
      PLUGINS_DIR: join(ROOT, 'plugins'),
    });
    const svc = service;
    pool = new Pool(svc.url, { connections: IN_FLIGHT, pipelining: 1, keepAliveTimeout: 30_000 });
    line('soak: service', `pid ${svc.pid}, ${IN_FLIGHT} requests in flight, REDIS_URL set, DIGEST_CACHE_TTL_SECONDS 2, LOG_LEVEL ${process.env.BENCH_LOG_LEVEL ?? 'warn'}, ACCESS_LOG off`);
    let n = 0;

    const fresh = await settledMemory(svc);
    line('soak: heap after forced GC, fresh start', memoryText(fresh));
    const warm = await traffic(pool, fixture, { until: performance.now() + WARM_UP_SECONDS * 1000, count: HARD_REQUEST_CAP, first: n });
    n += warm.sent;
    const warmed = await settledMemory(svc);
    line(`soak: warm-up, ${WARM_UP_SECONDS} s`, phaseSummary(warm));
    line('soak: heap after forced GC, after the warm-up', memoryText(warmed));

    // Distinct inputs: N, then 2N more. The kept answers are bounded, so the heap after 3N is that after N.
    const roundLimit = performance.now() + 10 * 60_000;
    const first = await traffic(pool, fixture, { until: roundLimit, count: DISTINCT, first: n });
    n += first.sent;
    const afterN = await settledMemory(svc);
    const second = await traffic(pool, fixture, { until: roundLimit + 10 * 60_000, count: 2 * DISTINCT, first: n });
    n += second.sent;
    const after3N = await settledMemory(svc);
    const completed = first.sent === DISTINCT && second.sent === 2 * DISTINCT;
    const distinctOk = completed && after3N.heapUsed <= afterN.heapUsed * DISTINCT_HEAP_FACTOR;
    verdicts.push(distinctOk);
    line(`soak: ${fmt(DISTINCT)} requests of new inputs`, phaseSummary(first));
    line('soak: heap after forced GC, after N new inputs', memoryText(afterN));
    line(`soak: ${fmt(2 * DISTINCT)} more requests of new inputs`, phaseSummary(second));
    line('soak: heap after forced GC, after 3N new inputs', memoryText(after3N));
    line(
      `soak: heap after 3N ≤ ${DISTINCT_HEAP_FACTOR} × after N (bounded kept answers)`,
      `${MiB(afterN.heapUsed)} → ${MiB(after3N.heapUsed)} (${(after3N.heapUsed / afterN.heapUsed).toFixed(2)}×) ${distinctOk ? 'PASS' : 'FAIL'}`,
    );
    const before = [...warm.failures(), ...first.failures(), ...second.failures()];
    for (const failure of before) line('soak: FAIL before the soak', failure);
    verdicts.push(before.length === 0);

    // The soak: mixed traffic for `seconds`, the registry and Redis killed and restarted on a schedule.
    const watch: RegistryWatch = { backAt: null, recoveriesMs: [] };
    const started = performance.now();
    const until = started + seconds * 1000;
    const outages = { registry: 0, redis: 0, redisRecoveriesMs: [] as number[], problems: [] as string[] };
    const at = (second: number) => sleep(Math.max(0, started + second * 1000 - performance.now()));
    const chaos = async (): Promise<void> => {
      const events: { second: number; target: 'registry' | 'redis' }[] = [];
      for (let s = REGISTRY_FIRST_KILL; s + CHAOS_DOWN + 5 <= seconds; s += CHAOS_PERIOD) events.push({ second: s, target: 'registry' });
      for (let s = REDIS_FIRST_KILL; s + CHAOS_DOWN + 5 <= seconds; s += CHAOS_PERIOD) events.push({ second: s, target: 'redis' });
      events.sort((a, b) => a.second - b.second);
      for (const event of events) {
        await at(event.second);
        const server = event.target === 'registry' ? registry : redis;
        await server.stop(); // SIGKILL, waits for the exit
        await at(event.second + CHAOS_DOWN);
        try {
          await server.start(); // the same port and storage directory
        } catch (error) {
          outages.problems.push(`${event.target} did not restart: ${(error as Error).message}`);
          continue;
        }
        if (event.target === 'registry') {
          outages.registry++;
          watch.backAt = performance.now();
        } else {
          outages.redis++;
          const back = performance.now();
          for (let tries = 0; tries < 150; tries++) {
            try {
              const ready = (await (await fetch(`${svc.url}/readyz`)).json()) as { checks?: { digestCache?: { degraded?: boolean } } };
              if (ready.checks?.digestCache?.degraded === false) {
                outages.redisRecoveriesMs.push(performance.now() - back);
                break;
              }
            } catch {
              // the traffic's own counts report a service that does not answer
            }
            await sleep(200);
          }
        }
      }
    };
    const soak = new PhaseStats();
    const progress = async (): Promise<void> => {
      for (let minute = 1; minute * 60 < seconds; minute++) {
        await at(minute * 60);
        const memory = await memoryOf(svc);
        line(`soak: t = ${minute * 60} s`, `${fmt(soak.sent)} requests, non-2xx ${fmt(soak.non2xxTotal())}, heap used ${MiB(memory.heapUsed)} (no forced GC), rss ${MiB(memory.rss)}, ${fmt(memory.cacheRefs)} cached refs`);
      }
    };
    await Promise.all([traffic(pool, fixture, { until, count: HARD_REQUEST_CAP, first: n, watch }, soak), chaos(), progress()]);
    n += soak.sent;
    const end = await settledMemory(svc);
    const alive = svc.child.exitCode === null && svc.child.signalCode === null;
    const keys = await redisInteger(redis.port, 'DBSIZE');

    line(`soak: ${seconds} s of mixed traffic, ${IN_FLIGHT} in flight`, `${fmt(soak.sent)} requests (${fmt(soak.sent / soak.seconds)}/s)`);
    for (const [route, stats] of soak.routes) {
      const sorted = stats.latenciesMs.sort((a, b) => a - b);
      const stale = stats.stale > 0 ? `, ${fmt(stats.stale)} stale` : '';
      line(`soak: ${route}`, `sent ${fmt(stats.sent)}, 2xx ${fmt(stats.ok)}${stale}, p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))}`);
      for (const [key, count] of [...stats.non2xx].sort((a, b) => b[1] - a[1])) line(`soak:   ${key}`, `${fmt(count)} ${allowed(route, key) ? '(documented registry error, allowed)' : 'FAIL'}`);
    }
    const recoveries = watch.recoveriesMs;
    line(
      'soak: registry SIGKILLed and restarted (10 s down)',
      `${outages.registry} ×; uncached lookups answered again ${recoveries.length ? `${ms(Math.min(...recoveries))}–${ms(Math.max(...recoveries))}` : '(n/a)'} after each restart`,
    );
    line(
      'soak: Redis SIGKILLed and restarted (10 s down)',
      `${outages.redis} ×; /readyz not degraded again ${outages.redisRecoveriesMs.length ? `${ms(Math.min(...outages.redisRecoveriesMs))}–${ms(Math.max(...outages.redisRecoveriesMs))}` : '(n/a)'} after each restart; ${fmt(keys)} keys in Redis at the end`,
    );
    line('soak: heap after forced GC, at the end', memoryText(end));
    const heapOk = end.heapUsed <= warmed.heapUsed * END_HEAP_FACTOR;
    verdicts.push(heapOk);
    line(`soak: end heap ≤ ${END_HEAP_FACTOR} × post-warm-up heap`, `${MiB(warmed.heapUsed)} → ${MiB(end.heapUsed)} (${(end.heapUsed / warmed.heapUsed).toFixed(2)}×) ${heapOk ? 'PASS' : 'FAIL'}`);
    line('soak: resident memory after the warm-up → at the end (info)', `${MiB(warmed.rss)} → ${MiB(end.rss)}`);
    const levels = [...svc.logLevels].map(([level, count]) => `${level} ${fmt(count)}`).join(', ');
    line('soak: service log lines (whole run)', levels || 'none');
    for (const message of svc.errorMessages) line('soak:   error logged', message);
    for (const text of svc.stderr) line('soak:   service stderr', text);

    const failures = [...soak.failures(), ...outages.problems, ...(alive ? [] : ['the service exited during the soak'])];
    for (const failure of failures) line('soak: FAIL', failure);
    const noSurprises = failures.length === 0 && soak.sent > 0;
    verdicts.push(noSurprises);
    line(
      'soak: no 500, no connection error, only documented registry errors',
      `${fmt(soak.sent)} requests, ${fmt(soak.non2xxTotal())} non-2xx (all allowed: ${failures.length === 0}) ${noSurprises ? 'PASS' : 'FAIL'}`,
    );
    line('soak: result', verdicts.every(Boolean) ? 'PASS' : 'FAIL');
  } finally {
    await pool?.close();
    await service?.stop();
    await redis.dispose();
    await registry.dispose();
  }
}
