/**
 * Issue 11, item 2: bodies nested deeper than MAX_NESTING (JSON objects and arrays, YAML flow and block
 * collections, YAML aliases, JSON text inside a field) are a precise 400 on every route that takes a body,
 * never a 500 from a stack overflow, and the service keeps answering.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NESTING } from '../src/common/nesting.js';
import { startTestApp } from './support/app.js';

let app: NestFastifyApplication;
let http: ReturnType<typeof request>;

beforeAll(async () => {
  app = await startTestApp();
  http = request(app.getHttpServer());
});
afterAll(async () => app?.close());

const deepObject = (levels: number, leaf = '1'): string => `${'{"a":'.repeat(levels)}${leaf}${'}'.repeat(levels)}`;
const deepArray = (levels: number, leaf = '"nginx"'): string => `${'['.repeat(levels)}${leaf}${']'.repeat(levels)}`;

const BODY_ROUTES = [
  '/v1/references/parse',
  '/v1/digests',
  '/v1/pull-policy/default',
  '/v1/manifests/default',
  '/v1/pull-decisions',
  '/v1/pull-decisions/batch',
  '/v1/pull-decisions/manifests',
  '/v1/admission/mutate',
  '/v1/admission/validate',
  '/v1/externaldata',
  '/graphql',
];

const BODY_MESSAGE = `The request body nests deeper than ${MAX_NESTING} levels of objects and arrays (the limit)`;

async function expectNestingRefused(response: request.Response, message: string | RegExp): Promise<void> {
  expect(response.status, response.text.slice(0, 300)).toBe(400);
  expect(response.body.error.code).toBe('InvalidRequest');
  if (typeof message === 'string') expect(response.body.error.message).toBe(message);
  else expect(response.body.error.message).toMatch(message);
}

describe('JSON bodies nested past the limit', () => {
  it.each(BODY_ROUTES)('POST %s: 20 000 levels of objects, and arrays inside a field, are 400 InvalidRequest', async (route) => {
    const post = (body: string) => http.post(route).set('content-type', 'application/json').send(body);
    await expectNestingRefused(await post(deepObject(20_000)), BODY_MESSAGE);
    await expectNestingRefused(await post(`{"references":${deepArray(20_000)}}`), BODY_MESSAGE);
    await expectNestingRefused(await post(`{"images":${deepArray(MAX_NESTING)}}`), BODY_MESSAGE);
  });

  it('takes bodies exactly at the limit through to the route (its own validation answers)', async () => {
    const response = await http.post('/v1/references/parse').set('content-type', 'application/json').send(`{"references":${deepArray(MAX_NESTING - 1)}}`);
    expect(response.status).toBe(400);
    expect(response.body.error.message).not.toMatch(/nests deeper/);
  });

  it('still refuses prototype poisoning as Fastify does', async () => {
    const response = await http.post('/v1/pull-policy/default').set('content-type', 'application/json').send('{"image":"nginx","__proto__":{"polluted":1}}');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('InvalidRequest');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('manifest text nested past the limit', () => {
  const yamlRoute = (body: string) => http.post('/v1/manifests/default').set('content-type', 'application/yaml').send(body);
  const jsonRoute = (manifests: string) => http.post('/v1/manifests/default').set('content-type', 'application/json').send({ manifests });

  it('a YAML flow sequence 100 000 deep, as a raw YAML body and inside the JSON field', async () => {
    const text = `kind: Pod\nspec: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    await expectNestingRefused(await yamlRoute(text), /^manifests: YAML nests deeper than 128 levels of objects and arrays \(the limit\) at line 2, column \d+$/);
    await expectNestingRefused(await jsonRoute(text), /^manifests: YAML nests deeper than 128 levels/);
  });

  it('YAML block mappings nested past the limit, and aliases that expand past it', async () => {
    let block = 'kind: Pod\nspec:\n';
    for (let i = 1; i <= MAX_NESTING + 10; i++) block += `${' '.repeat(i)}a:\n`;
    await expectNestingRefused(await yamlRoute(block), /^manifests: YAML nests deeper than 128 levels/);
    let chain = 'kind: Pod\na0: &a0 [1]\n';
    for (let i = 1; i <= 300; i++) chain += `a${i}: &a${i} [*a${i - 1}]\n`;
    await expectNestingRefused(await yamlRoute(chain), /with its aliases expanded, nests deeper than 128 levels/);
  });

  it('JSON text in the manifests field nested past the limit', async () => {
    await expectNestingRefused(await jsonRoute(`[{"kind":"Pod","spec":${deepObject(50_000)}}]`), `manifests: JSON nests deeper than ${MAX_NESTING} levels of objects and arrays (the limit)`);
  });

  it('the service still answers afterwards', async () => {
    await http.get('/healthz').expect(200);
    await http.get('/v1/references/parse?reference=nginx').expect(200);
  });
});
