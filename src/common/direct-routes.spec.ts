import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { AuthState } from '../auth/auth-state.js';
import { type DirectRoute, openApiOperation, registerDirectRoutes } from './direct-routes.js';

const schema = {
  querystring: { type: 'object', properties: { q: { type: 'string' } } },
  response: { 200: { type: 'object', properties: { name: { type: 'string' }, size: { type: 'number' } } } },
};
const openapi = openApiOperation({ operationId: 'test', tag: 'test', summary: 'test', ok: 'Dto', errors: {} });

/** A Fastify instance with one direct route, counting how often its answers are serialised. */
async function serve(handle: DirectRoute['handle'], sharedAnswers: boolean) {
  const fastify = Fastify();
  let serialised = 0;
  // Writes the schema's properties only, like Fastify's own compiled serialiser, and counts its calls.
  fastify.setSerializerCompiler(({ schema: answer }) => (data) => {
    serialised++;
    return JSON.stringify(data, Object.keys((answer as { properties: object }).properties));
  });
  registerDirectRoutes(fastify, [{ method: 'GET', url: '/thing', schema, handle, openapi, models: [], ...(sharedAnswers ? { sharedAnswers: true as const } : {}) }], new AuthState(null, []));
  await fastify.ready();
  const get = async (q: string) => {
    const response = await fastify.inject({ method: 'GET', url: `/thing?q=${q}` });
    return { status: response.statusCode, type: response.headers['content-type'], body: response.body };
  };
  return { get, serialised: () => serialised, close: () => fastify.close() };
}

describe('registerDirectRoutes: sharedAnswers', () => {
  const kept = new Map<string, object>();
  const sharedHandle: DirectRoute['handle'] = (request) => {
    const q = (request.query as { q: string }).q;
    if (q.startsWith('async')) return Promise.resolve({ name: q, size: 1 });
    if (!kept.has(q)) kept.set(q, Object.freeze({ name: q, size: q.length, extra: 'not in the schema' }));
    return kept.get(q);
  };

  it('serialises a shared answer once and answers exactly what the route answers without sharing', async () => {
    const shared = await serve(sharedHandle, true);
    const plain = await serve(sharedHandle, false);
    try {
      for (const q of ['a', 'a', 'bb', 'a', 'bb']) expect(await shared.get(q)).toEqual(await plain.get(q));
      expect(shared.serialised()).toBe(2); // once per answer object
      expect(plain.serialised()).toBe(5);
      expect(await shared.get('a')).toEqual({ status: 200, type: 'application/json; charset=utf-8', body: '{"name":"a","size":1}' });
    } finally {
      await Promise.all([shared.close(), plain.close()]);
    }
  });

  it('serialises promised answers every time (they are not shared objects)', async () => {
    const shared = await serve(sharedHandle, true);
    try {
      for (let i = 0; i < 3; i++) expect((await shared.get('async-x')).body).toBe('{"name":"async-x","size":1}');
      expect(shared.serialised()).toBe(3);
    } finally {
      await shared.close();
    }
  });
});
