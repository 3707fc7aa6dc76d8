/**
 * API keys and scopes on REST and GraphQL, open paths, rate limits (429 + Retry-After) and GraphQL limits,
 * against the whole app as `npm start` builds it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { GRAPHQL_SCOPES, ROUTE_SCOPES } from '../src/auth/scopes.js';
import { startTestApp } from './support/app.js';

const KEYS = { reader: 'key-reader-0123456789', resolver: 'key-resolver-0123456789', admission: 'key-admission-0123456789', all: 'key-all-0123456789' };
const dir = mkdtempSync(join(tmpdir(), 'ips-auth-'));
const keysFile = join(dir, 'keys.yaml');
writeFileSync(
  keysFile,
  [
    'keys:',
    `  - { name: reader, sha256: ${sha256Hex(KEYS.reader)}, scopes: [read] }`,
    `  - { name: resolver, sha256: ${sha256Hex(KEYS.resolver)}, scopes: [resolve] }`,
    `  - { name: admission, sha256: ${sha256Hex(KEYS.admission)}, scopes: [admission] }`,
    `  - name: all\n    sha256: ${sha256Hex(KEYS.all).toUpperCase()}\n    scopes: [read, resolve, admission]`,
  ].join('\n'),
);

let app: NestFastifyApplication;
let http: ReturnType<typeof request>;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  app = await startTestApp({ API_KEYS_FILE: keysFile, GRAPHQL_MAX_DEPTH: '6', GRAPHQL_MAX_ALIASES: '3', GRAPHQL_MAX_COMPLEXITY: '40', REGISTRY_TIMEOUT_MS: '200' });
  http = request(app.getHttpServer());
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate without a key, before reading the body', async () => {
    const response = await http.post('/v1/references/parse').set('content-type', 'application/json').send('{not json').expect(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="image-policy-service"');
    expect(response.body).toEqual({ error: { code: 'Unauthorized', message: 'API key required: send Authorization: Bearer <key>' } });
  });

  it('answers 401 invalid_token for an unknown key or a malformed header', async () => {
    const unknown = await http.get('/v1/references/parse?reference=nginx').set(bearer('nope')).expect(401);
    expect(unknown.headers['www-authenticate']).toBe('Bearer realm="image-policy-service", error="invalid_token"');
    expect(unknown.body.error).toEqual({ code: 'Unauthorized', message: 'API key not recognised' });
    const basic = await http.get('/v1/references/parse?reference=nginx').set('authorization', `Basic ${KEYS.reader}`).expect(401);
    expect(basic.body.error.message).toBe('Authorization header must be "Bearer <key>"');
  });

  it('keeps health, readiness and metrics open', async () => {
    await http.get('/healthz').expect(200);
    await http.get('/readyz').expect(200);
    await http.get('/metrics').expect(200);
  });

  it('hides unknown routes behind the key too', async () => {
    await http.get('/v1/nothing-here').expect(401);
    await http.get('/v1/nothing-here').set(bearer(KEYS.reader)).expect(404);
  });
});

describe('scopes on REST', () => {
  it('read: parsing and defaulting', async () => {
    await http.get('/v1/references/parse?reference=nginx').set(bearer(KEYS.reader)).expect(200);
    await http.post('/v1/pull-policy/default').set(bearer(KEYS.reader)).send({ image: 'nginx' }).expect(200);
    const denied = await http.get('/v1/references/parse?reference=nginx').set(bearer(KEYS.resolver)).expect(403);
    expect(denied.body).toEqual({ error: { code: 'Forbidden', message: 'API key "resolver" lacks the scope read needed for GET /v1/references/parse' } });
  });

  it('resolve: digests need resolve, not read', async () => {
    const denied = await http.get('/v1/digests?image=registry.invalid/app:1').set(bearer(KEYS.reader)).expect(403);
    expect(denied.body.error.message).toBe('API key "reader" lacks the scope resolve needed for GET /v1/digests');
    // With the scope the request reaches the registry code (which refuses this host: not an auth error).
    const allowed = await http.get('/v1/digests?image=registry.invalid/app:1').set(bearer(KEYS.resolver));
    expect(allowed.status).not.toBe(401);
    expect(allowed.body.error?.code).not.toBe('Forbidden');
  });

  it('decisions need resolve unless the registry is simulated', async () => {
    const simulated = { image: 'nginx:1.25', registry: { digest: `sha256:${'a'.repeat(64)}` } };
    await http.post('/v1/pull-decisions').set(bearer(KEYS.reader)).send(simulated).expect(200);
    const live = await http.post('/v1/pull-decisions').set(bearer(KEYS.reader)).send({ image: 'nginx:1.25' }).expect(403);
    expect(live.body.error.message).toBe('API key "reader" lacks the scope resolve needed for POST /v1/pull-decisions');
  });

  it('never logs or echoes the key', async () => {
    const response = await http.get('/v1/digests?image=x').set(bearer(KEYS.reader));
    expect(JSON.stringify(response.body)).not.toContain(KEYS.reader);
  });
});

describe('scopes on GraphQL', () => {
  const gql = (key: string | null, query: string) => {
    const req = http.post('/graphql').send({ query });
    return key === null ? req : req.set(bearer(key));
  };

  it('401 in GraphQL shape without a key', async () => {
    const response = await gql(null, '{ parseReference(reference: "nginx") { canonical } }').expect(401);
    expect(response.body).toEqual({ errors: [{ message: 'API key required: send Authorization: Bearer <key>', extensions: { code: 'Unauthorized' } }] });
  });

  it('checks each field: read fields answer, digest fields need resolve', async () => {
    const response = await gql(KEYS.reader, '{ parseReference(reference: "nginx") { canonical } digest(image: "registry.invalid/a:1") { digest } }').expect(200);
    expect(response.body.data.parseReference).toEqual({ canonical: 'docker.io/library/nginx' });
    expect(response.body.data.digest).toBeNull();
    expect(response.body.errors).toEqual([
      expect.objectContaining({ message: 'API key "reader" lacks the scope resolve needed for Query.digest', path: ['digest'], extensions: { code: 'Forbidden' } }),
    ]);
  });

  it('lets introspection through for any valid key', async () => {
    const response = await gql(KEYS.admission, '{ __typename }').expect(200);
    expect(response.body.data).toEqual({ __typename: 'Query' });
  });
});

describe('GraphQL limits', () => {
  it('refuses too many aliases', async () => {
    const response = await http.post('/graphql').set(bearer(KEYS.all)).send({ query: '{ a: parseReference(reference: "a") { name } b: parseReference(reference: "b") { name } c: parseReference(reference: "c") { name } d: parseReference(reference: "d") { name } }' }).expect(400);
    expect(response.body.errors[0]).toMatchObject({ message: 'Operation uses more than 3 aliases (GRAPHQL_MAX_ALIASES)', extensions: { code: 'InvalidRequest' } });
  });

  it('refuses deep nesting and complexity through fragments', async () => {
    const deep = await http.post('/graphql').set(bearer(KEYS.all)).send({ query: 'query Deep { __schema { types { fields { type { ofType { ofType { name } } } } } } }' }).expect(400);
    expect(deep.body.errors[0].message).toBe('Operation Deep nests fields deeper than 6 levels (GRAPHQL_MAX_DEPTH)');
    const fragments = 'fragment A on ParsedReference { name domain path tag digest canonical familiar familiarName pullReference defaultPullPolicy input }';
    const wide = await http.post('/graphql').set(bearer(KEYS.all)).send({ query: `${fragments} { x: parseReference(reference: "a") { ...A ...A } y: parseReference(reference: "b") { ...A } z: parseReference(reference: "c") { ...A ...A ...A } }` }).expect(400);
    expect(wide.body.errors[0].message).toBe('Operation selects more than 40 fields, fragments expanded (GRAPHQL_MAX_COMPLEXITY)');
  });
});

describe('scope rules cover every route and field', () => {
  it('has a rule for every registered REST route', () => {
    // Fastify's route tree, flattened to `METHOD /path` (HEAD and OPTIONS follow GET; /docs assets and
    // /graphql are checked by the request hook and per field; the admission routes carry @RequireScopes).
    const printed = app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
    const stack: string[] = [];
    const routes: string[] = [];
    for (const line of printed.split('\n')) {
      const match = /^([│ ]*)[├└]── (\S+) \(([^)]*)\)/.exec(line);
      if (match === null) continue;
      const depth = match[1].length / 4;
      stack.length = depth;
      const path = (stack[depth - 1] ?? '') + match[2];
      stack[depth] = path;
      for (const method of match[3].split(', ')) if (method === 'GET' || method === 'POST' || method === 'PUT' || method === 'DELETE') routes.push(`${method} ${path}`);
    }
    expect(routes).toContain('POST /v1/pull-decisions/batch');
    const checked = routes.filter((route) => !route.includes(' /docs/') && !route.endsWith(' /graphql') && !route.includes('/v1/admission/') && !route.includes(' /v1/externaldata'));
    expect(checked.filter((route) => ROUTE_SCOPES[route] === undefined)).toEqual([]);
  });

  it('has a rule for every Query field of the schema', async () => {
    const response = await http.post('/graphql').set(bearer(KEYS.all)).send({ query: '{ __type(name: "Query") { fields { name } } }' }).expect(200);
    const fields: string[] = response.body.data.__type.fields.map((f: { name: string }) => `Query.${f.name}`);
    expect(fields.filter((field) => GRAPHQL_SCOPES[field] === undefined)).toEqual([]);
  });
});

describe('rate limits', () => {
  let limited: NestFastifyApplication;
  afterAll(async () => limited?.close());

  it('limits each key separately with 429 RateLimited and Retry-After; open paths are never limited', async () => {
    limited = await startTestApp({ API_KEYS_FILE: keysFile, RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '2' });
    const client = request(limited.getHttpServer());
    const parse = (key: string) => client.get('/v1/references/parse?reference=nginx').set(bearer(key));
    await parse(KEYS.reader).expect(200);
    await parse(KEYS.reader).expect(200);
    const refused = await parse(KEYS.reader).expect(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body.error).toEqual({ code: 'RateLimited', message: 'Too many requests from API key "reader": the limit is 1 per second (burst 2); retry after 1 s' });
    await parse(KEYS.all).expect(200); // another key has its own bucket
    for (let i = 0; i < 5; i++) await client.get('/healthz').expect(200);
  });

  it('limits by client address without keys', async () => {
    const app2 = await startTestApp({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '1' });
    try {
      const client = request(app2.getHttpServer());
      await client.get('/v1/references/parse?reference=nginx').expect(200);
      const refused = await client.post('/graphql').send({ query: '{ __typename }' }).expect(429);
      expect(refused.body.errors[0].extensions).toEqual({ code: 'RateLimited' });
      expect(refused.body.errors[0].message).toMatch(/^Too many requests from client (::ffff:)?127\.0\.0\.1/);
    } finally {
      await app2.close();
    }
  });

  it('without TRUST_PROXY ignores X-Forwarded-For: a client cannot pose as many', async () => {
    const app2 = await startTestApp({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '1' });
    try {
      const client = request(app2.getHttpServer());
      await client.get('/v1/references/parse?reference=nginx').set('x-forwarded-for', '203.0.113.1').expect(200);
      const refused = await client.get('/v1/references/parse?reference=nginx').set('x-forwarded-for', '203.0.113.2').expect(429);
      expect(refused.body.error.message).toMatch(/^Too many requests from client (::ffff:)?127\.0\.0\.1/);
    } finally {
      await app2.close();
    }
  });

  it('with TRUST_PROXY limits each client behind the trusted proxy by its forwarded address', async () => {
    const app2 = await startTestApp({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '1', TRUST_PROXY: 'loopback' });
    try {
      const client = request(app2.getHttpServer());
      const parse = (from: string) => client.get('/v1/references/parse?reference=nginx').set('x-forwarded-for', from);
      await parse('203.0.113.1').expect(200);
      await parse('203.0.113.2').expect(200); // another client: its own bucket
      const refused = await parse('203.0.113.1').expect(429);
      expect(refused.body.error.message).toMatch(/^Too many requests from client 203\.0\.113\.1:/);
      // A spoofed hop in front of the real client is not believed past the trusted proxy: the right-most untrusted address counts.
      await parse('198.51.100.9, 203.0.113.2').expect(429);
    } finally {
      await app2.close();
    }
  });
});

describe('access log', () => {
  /**
   * Runs `use` against the whole app built with `env`, its logger writing into memory, and answers the log
   * lines written until the app closed.
   */
  async function logLinesOf(env: Record<string, string>, use: (client: ReturnType<typeof request>) => Promise<void>): Promise<string[]> {
    const { pino } = await import('pino');
    const { Writable } = await import('node:stream');
    const { createApp } = await import('../src/app.factory.js');
    const { loadConfig } = await import('../src/config/config.js');
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
    const logged = await createApp(loadConfig(env), pino({ level: 'info' }, sink));
    try {
      await logged.getHttpAdapter().getInstance().ready();
      await use(request(logged.getHttpServer()));
    } finally {
      await logged.close();
    }
    return lines;
  }

  it('names the key, never the key itself', async () => {
    const lines = await logLinesOf({ API_KEYS_FILE: keysFile }, async (client) => {
      await client.get('/v1/references/parse?reference=nginx').set(bearer(KEYS.reader)).expect(200);
      await client.get('/v1/references/parse?reference=nginx').set(bearer('wrong-key')).expect(401);
    });
    const access = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'request');
    expect(access.map((line) => [line.status, line.key])).toEqual([[200, 'reader'], [401, undefined]]);
    expect(lines.join('')).not.toContain(KEYS.reader);
    expect(lines.join('')).not.toContain('wrong-key');
  });

  it('ACCESS_LOG=off drops the line per request, keeps the other info lines and the request metrics', async () => {
    const lines = await logLinesOf({ ACCESS_LOG: 'off' }, async (client) => {
      await client.get('/v1/references/parse?reference=nginx').expect(200);
      const metrics = await client.get('/metrics').expect(200);
      expect(metrics.text).toMatch(/http_requests_total\{method="GET",route="\/v1\/references\/parse",status="200"\} [1-9]/);
    });
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.filter((line) => line.msg === 'request')).toEqual([]);
    expect(logged.length).toBeGreaterThan(0); // Nest's start-up lines, at info
  });
});
