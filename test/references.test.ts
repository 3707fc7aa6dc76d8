import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from './support/app.js';

const HEX64 = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';

let app: NestFastifyApplication;
let http: ReturnType<typeof request>;

beforeAll(async () => {
  app = await startTestApp({ BODY_LIMIT_BYTES: '65536' });
  http = request(app.getHttpServer());
});
afterAll(async () => app.close());

function graphql(query: string, variables?: Record<string, unknown>) {
  return http.post('/graphql').send({ query, variables });
}

describe('GET /v1/references/parse', () => {
  it('answers the ParsedReference of the contract', async () => {
    const response = await http.get('/v1/references/parse').query({ reference: `nginx:latest@sha256:${HEX64}` }).expect(200);
    expect(response.body).toEqual({
      input: `nginx:latest@sha256:${HEX64}`,
      name: 'docker.io/library/nginx',
      domain: 'docker.io',
      path: 'library/nginx',
      tag: 'latest',
      digest: `sha256:${HEX64}`,
      canonical: `docker.io/library/nginx:latest@sha256:${HEX64}`,
      familiar: `nginx:latest@sha256:${HEX64}`,
      familiarName: 'nginx',
      pullReference: `docker.io/library/nginx@sha256:${HEX64}`,
      defaultPullPolicy: 'Always',
    });
  });

  it('answers a repeated question with the same bytes as the first time, and as the POST route item', async () => {
    const reference = `ghcr.io/org/app:1.2.3@sha256:${HEX64}`;
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await http.get('/v1/references/parse').query({ reference }).expect(200));
    for (const answer of answers) {
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(answer.text).toBe(answers[0].text);
    }
    const batch = await http.post('/v1/references/parse').send({ references: [reference] }).expect(200);
    const { ok, reference: item } = batch.body.results[0];
    expect(ok).toBe(true);
    expect(JSON.parse(answers[0].text)).toEqual(item);
    expect(Object.keys(JSON.parse(answers[0].text))).toEqual(Object.keys(item)); // the contract's field order
  });

  it('handles IPv6 registries with ports and URL-encoded characters', async () => {
    const response = await http.get(`/v1/references/parse?reference=${encodeURIComponent('[2001:db8::1]:5000/team/app:v1')}`).expect(200);
    expect(response.body).toMatchObject({ domain: '[2001:db8::1]:5000', path: 'team/app', tag: 'v1' });
  });

  it.each([
    ['Nginx', 'invalid reference format: repository name (library/Nginx) must be lowercase'],
    ['', 'invalid reference format'],
    [HEX64, `invalid repository name (${HEX64}), cannot specify 64-byte hexadecimal strings`],
    [`nginx@sha256:${HEX64.slice(1)}0`.replace('@sha256', '@sha512'), 'invalid checksum digest length'],
  ])('rejects %j with 400 InvalidReference and Kubernetes\' text', async (reference, message) => {
    const response = await http.get('/v1/references/parse').query({ reference }).expect(400);
    expect(response.body).toEqual({ error: { code: 'InvalidReference', message } });
  });

  it('names the missing query parameter', async () => {
    const response = await http.get('/v1/references/parse').expect(400);
    expect(response.body).toEqual({ error: { code: 'InvalidRequest', message: 'reference is required' } });
  });

  it('rejects a repeated query parameter', async () => {
    const response = await http.get('/v1/references/parse?reference=a&reference=b').expect(400);
    expect(response.body.error).toEqual({ code: 'InvalidRequest', message: 'reference must be a string, given once' });
  });

  it('rejects unknown query parameters, naming them', async () => {
    const response = await http.get('/v1/references/parse?reference=a&refrence=b').expect(400);
    expect(response.body.error).toEqual({ code: 'InvalidRequest', message: 'property refrence should not exist' });
  });

  it('answers a hostile 10 000-character reference with a 400', async () => {
    const response = await http.get('/v1/references/parse').query({ reference: `a${'-'.repeat(10_000)}` }).expect(400);
    expect(response.body.error).toEqual({ code: 'InvalidReference', message: 'invalid reference format' });
  });

  it('refuses a URL longer than the HTTP header limit with 431', async () => {
    await http.get('/v1/references/parse').query({ reference: 'a'.repeat(100_000) }).expect(431);
  });
});

describe('POST /v1/references/parse', () => {
  it('answers every reference in input order, ok or with its error', async () => {
    const references = ['nginx', 'Bad', 'ghcr.io/org/app:1.2', 'foo:bar:baz'];
    const response = await http.post('/v1/references/parse').send({ references }).expect(200);
    expect(response.body.results.map((r: { ok: boolean }) => r.ok)).toEqual([true, false, true, false]);
    expect(response.body.results[0].reference.canonical).toBe('docker.io/library/nginx');
    expect(response.body.results[1]).toEqual({
      ok: false,
      input: 'Bad',
      error: { code: 'InvalidReference', message: 'invalid reference format: repository name (library/Bad) must be lowercase' },
    });
    expect(response.body.results[2].reference).toMatchObject({ domain: 'ghcr.io', path: 'org/app', tag: '1.2' });
  });

  it('answers hostile 100 000-character references in a batch', async () => {
    const references = [`a${'-'.repeat(100_000)}`, `${'a/'.repeat(50_000)}!`, `[${':'.repeat(99_998)}/a`];
    const big = await startTestApp();
    try {
      const response = await request(big.getHttpServer()).post('/v1/references/parse').send({ references }).expect(200);
      expect(response.body.results.map((r: { ok: boolean }) => r.ok)).toEqual([false, false, false]);
    } finally {
      await big.close();
    }
  });

  it('accepts exactly 10 000 references', async () => {
    const big = await startTestApp();
    try {
      const references = Array.from({ length: 10_000 }, (_, i) => `app${i}:v${i}`);
      const response = await request(big.getHttpServer()).post('/v1/references/parse').send({ references }).expect(200);
      expect(response.body.results).toHaveLength(10_000);
      expect(response.body.results[9_999].reference.tag).toBe('v9999');
    } finally {
      await big.close();
    }
  });

  it.each([
    ['no body fields', {}, 'references is required'],
    ['a string', { references: 'nginx' }, 'references must be an array'],
    ['an empty list', { references: [] }, 'references must contain at least 1 item'],
    ['a number in the list', { references: ['nginx', 5] }, 'references[1] must be a string'],
    ['null', { references: null }, 'references must be an array'],
    ['an unknown field', { references: ['a'], extra: true }, 'property extra should not exist'],
  ])('rejects %s with a message naming the field', async (_name, body, message) => {
    const response = await http.post('/v1/references/parse').send(body).expect(400);
    expect(response.body).toEqual({ error: { code: 'InvalidRequest', message } });
  });

  it('rejects more than 10 000 references', async () => {
    const big = await startTestApp();
    try {
      const references = Array.from({ length: 10_001 }, () => 'a');
      const response = await request(big.getHttpServer()).post('/v1/references/parse').send({ references }).expect(400);
      expect(response.body.error).toEqual({ code: 'InvalidRequest', message: 'references must contain at most 10000 items' });
    } finally {
      await big.close();
    }
  });

  it.each([
    ['a JSON array', '["nginx"]'],
    ['a JSON string', '"nginx"'],
    ['JSON null', 'null'],
  ])('rejects a body that is %s', async (_name, body) => {
    const response = await http.post('/v1/references/parse').set('content-type', 'application/json').send(body).expect(400);
    expect(response.body).toEqual({ error: { code: 'InvalidRequest', message: 'Request body must be a JSON object' } });
  });

  it('rejects malformed JSON with 400', async () => {
    const response = await http.post('/v1/references/parse').set('content-type', 'application/json').send('{"references": [').expect(400);
    expect(response.body.error.code).toBe('InvalidRequest');
    expect(response.body.error.message).toMatch(/JSON/);
  });

  it('rejects prototype poisoning with 400', async () => {
    const response = await http.post('/v1/references/parse').set('content-type', 'application/json').send('{"references": ["a"], "__proto__": {"x": 1}}').expect(400);
    expect(response.body.error.code).toBe('InvalidRequest');
  });

  it.each(['text/plain', 'application/xml', 'application/x-www-form-urlencoded'])('rejects content type %s with 415', async (type) => {
    const response = await http.post('/v1/references/parse').set('content-type', type).send('references=nginx').expect(415);
    expect(response.body.error.code).toBe('UnsupportedMediaType');
  });

  it('rejects a body over the configured limit with 413', async () => {
    const references = Array.from({ length: 5_000 }, () => 'registry.example.com/some/long/repository/name:tag');
    const response = await http.post('/v1/references/parse').send({ references }).expect(413);
    expect(response.body).toEqual({ error: { code: 'PayloadTooLarge', message: 'Request body is larger than the configured limit (BODY_LIMIT_BYTES)' } });
  });
});

describe('unknown routes and methods', () => {
  it.each([
    ['get', '/nope'],
    ['get', '/v1/references'],
    ['delete', '/v1/references/parse'],
  ] as const)('%s %s is a 404 NotFound', async (method, path) => {
    const response = await http[method](path).expect(404);
    expect(response.body.error.code).toBe('NotFound');
  });
});

describe('GraphQL', () => {
  const fields = 'input name domain path tag digest canonical familiar familiarName pullReference defaultPullPolicy';

  it('parseReference answers the same fields as REST', async () => {
    const rest = await http.get('/v1/references/parse').query({ reference: 'localhost:5000/app:1' });
    const response = await graphql(`query($r: String!) { parseReference(reference: $r) { ${fields} } }`, { r: 'localhost:5000/app:1' }).expect(200);
    expect(response.body.data.parseReference).toEqual(rest.body);
  });

  it('a parse failure is a GraphQL error with extensions.code InvalidReference, siblings still answer', async () => {
    const response = await graphql('{ bad: parseReference(reference: "Nginx") { canonical } good: parseReference(reference: "nginx") { canonical } }').expect(200);
    expect(response.body.data).toEqual({ bad: null, good: { canonical: 'docker.io/library/nginx' } });
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0]).toMatchObject({
      message: 'invalid reference format: repository name (library/Nginx) must be lowercase',
      path: ['bad'],
      extensions: { code: 'InvalidReference' },
    });
    expect(JSON.stringify(response.body)).not.toMatch(/stacktrace/i);
  });

  it('parseReferences answers in input order with per-item errors', async () => {
    const response = await graphql(`{ parseReferences(references: ["nginx", "Bad"]) { ok input reference { canonical } error { code message } } }`).expect(200);
    expect(response.body.data.parseReferences).toEqual([
      { ok: true, input: 'nginx', reference: { canonical: 'docker.io/library/nginx' }, error: null },
      { ok: false, input: 'Bad', reference: null, error: { code: 'InvalidReference', message: 'invalid reference format: repository name (library/Bad) must be lowercase' } },
    ]);
  });

  it('parseReferences rejects an empty list with InvalidRequest', async () => {
    const response = await graphql('{ parseReferences(references: []) { ok } }');
    expect(response.body.errors[0].extensions.code).toBe('InvalidRequest');
    expect(response.body.errors[0].message).toBe('references must contain at least 1 item');
  });

  it.each([
    ['a syntax error', '{ parseReference(reference: "x" { canonical } }'],
    ['an unknown field', '{ parseReference(reference: "x") { nope } }'],
    ['a wrong argument type', '{ parseReference(reference: 5) { canonical } }'],
    ['a missing argument', '{ parseReference { canonical } }'],
  ])('%s is an InvalidRequest', async (_name, query) => {
    const response = await graphql(query);
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(500);
    expect(response.body.errors[0].extensions.code).toBe('InvalidRequest');
  });

  it('a GET query without a CSRF preflight header is refused, not executed', async () => {
    const response = await http.get('/graphql').query({ query: '{ parseReference(reference: "x") { canonical } }' });
    expect(response.status).toBe(400);
  });
});

describe('operations', () => {
  it('/healthz and /readyz answer', async () => {
    expect((await http.get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
    expect((await http.get('/readyz').expect(200)).body.status).toBe('ready');
  });

  it('/metrics exposes request counts and latencies by route pattern', async () => {
    await http.get('/v1/references/parse').query({ reference: 'nginx' });
    const text = (await http.get('/metrics').expect(200)).text;
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/v1\/references\/parse",status="200"\} \d+/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{method="GET",route="\/v1\/references\/parse",le="[0-9.]+"\} 1/);
    expect(text).not.toMatch(/route="\/v1\/references\/parse\?/);
  });

  it('/openapi.json documents the reference routes', async () => {
    const document = (await http.get('/openapi.json').expect(200)).body;
    expect(document.paths['/v1/references/parse'].get).toBeDefined();
    expect(document.paths['/v1/references/parse'].post).toBeDefined();
  });

  it('/docs serves the UI and all of its assets locally', async () => {
    const page = await http.get('/docs').expect(200);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset.startsWith('/docs/')).toBe(true); // nothing from a CDN
      await http.get(asset).expect(200);
    }
  });
});
