/**
 * Hostile GraphQL documents against the whole app: exponential fragment expansion (with and without a cycle),
 * megabytes of fields, deep nesting, many aliases. Each is refused with a 400 `InvalidRequest` naming the limit
 * (or answered), never a 5xx and never after a long block of the event loop: the limits check is linear, so no
 * timing bound is needed beyond one that only a hang (an exponential walk) could cross. With the text limits
 * raised to the body limit, the operation limits alone still refuse every one of them.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from './support/app.js';

const MiB = 1024 * 1024;

/** Each fragment spreads the next twice (2^n fields); the last selects `__typename`, or (`cyclic`) spreads the first. */
function diamond(n: number, cyclic = false): string {
  const next = (i: number) => (cyclic ? (i + 1) % n : i + 1);
  const fragments = Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${next(i)} ...F${next(i)} }`);
  return `${fragments.join(' ')}${cyclic ? '' : ` fragment F${n} on Query { __typename }`} { ...F0 }`;
}
/** Fragment i selects `__typename` and spreads every fragment before it (2^i fields). */
function allPrevious(n: number): string {
  const fragments = Array.from({ length: n }, (_, i) => `fragment F${i} on Query { __typename ${Array.from({ length: i }, (_, j) => `...F${j}`).join(' ')} }`);
  return `${fragments.join(' ')} { ...F${n - 1} }`;
}
const fields = (bytes: number) => `{ ${'__typename '.repeat(Math.floor(bytes / 11))}}`;
const nested = (levels: number) => `{ parseReference(reference: "nginx") {${' a {'.repeat(levels)} b${' }'.repeat(levels)} } }`;
const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;

const HANG = 5_000; // ms: far above any answer below, far below the 30 s test timeout an exponential walk would hit

interface Answer {
  status: number;
  code?: string;
  message?: string;
  data?: unknown;
}

async function ask(app: NestFastifyApplication, query: string, method: 'GET' | 'POST' = 'POST'): Promise<Answer> {
  const payload = JSON.stringify({ query });
  const started = performance.now();
  const response =
    method === 'POST'
      ? await app.inject({ method, url: '/graphql', headers: { 'content-type': 'application/json' }, payload })
      : await app.inject({ method, url: `/graphql?query=${encodeURIComponent(query)}`, headers: { 'apollo-require-preflight': 'true' } });
  expect(performance.now() - started).toBeLessThan(HANG);
  const body = response.json() as { data?: unknown; errors?: Array<{ message: string; extensions: { code: string } }> };
  return { status: response.statusCode, code: body.errors?.[0]?.extensions.code, message: body.errors?.[0]?.message, data: body.data };
}

const refused = (message: string | RegExp) => ({ status: 400, code: 'InvalidRequest', message: typeof message === 'string' ? message : expect.stringMatching(message) });
const TOO_MANY_FIELDS = refused('Operation selects more than 1000 fields, fragments expanded (GRAPHQL_MAX_COMPLEXITY)');
const TOO_LONG = refused('Document is longer than 65536 bytes (GRAPHQL_MAX_DOCUMENT_BYTES); send large inputs as variables');
const TOO_MANY_TOKENS = refused('Document has more than 2000 tokens (GRAPHQL_MAX_TOKENS)');
const cycle = (n: number) => refused(`Fragment F0 spreads itself: F0 → F1 → F2 → … (${n} fragments) → F${n - 2} → F${n - 1} → F0 (fragment cycles are not allowed)`);

let app: NestFastifyApplication;
/** The same service with the document text limits as high as the body limit: only the operation limits are left. */
let raised: NestFastifyApplication;

beforeAll(async () => {
  [app, raised] = await Promise.all([startTestApp(), startTestApp({ GRAPHQL_MAX_TOKENS: '1000000', GRAPHQL_MAX_DOCUMENT_BYTES: String(5 * MiB) })]);
});
afterAll(async () => {
  await Promise.all([app?.close(), raised?.close()]);
});

describe('hostile GraphQL documents, default limits', () => {
  it('refuses fragment cycles that expand exponentially (20 and 26 fragments), naming the cycle', async () => {
    expect(await ask(app, diamond(20, true))).toEqual(cycle(20));
    expect(await ask(app, diamond(26, true))).toEqual(cycle(26));
  });

  it('refuses the acyclic diamond by its expanded size', async () => {
    expect(await ask(app, diamond(20))).toEqual(TOO_MANY_FIELDS);
    expect(await ask(app, diamond(26))).toEqual(TOO_MANY_FIELDS);
    expect(await ask(app, allPrevious(40))).toEqual(TOO_MANY_FIELDS); // 780 spreads, 2^39 fields
  });

  it('refuses large documents before parsing them: 1000 and 10 000 fragments, 1 MiB and 5 MiB of fields', async () => {
    expect(await ask(app, diamond(1000, true))).toEqual(TOO_MANY_TOKENS);
    expect(await ask(app, diamond(1000))).toEqual(TOO_MANY_TOKENS);
    expect(await ask(app, diamond(10_000))).toEqual(TOO_LONG);
    expect(await ask(app, allPrevious(300))).toEqual(TOO_LONG);
    expect(await ask(app, fields(MiB))).toEqual(TOO_LONG);
    expect(await ask(app, fields(5 * MiB - 100))).toEqual(TOO_LONG);
  });

  it('refuses 10 000 levels of nesting before the recursive parser sees them, by POST and by GET', async () => {
    const deep = refused('Document nests {, [ and ( deeper than 62 levels (allowed by GRAPHQL_MAX_DEPTH=15)');
    expect(await ask(app, nested(10_000))).toEqual(deep);
    expect(await ask(app, nested(100), 'GET')).toEqual(deep);
    expect(await ask(app, `{ parseReferences(references: ${'['.repeat(3000)}"a"${']'.repeat(3000)}) { ok } }`)).toEqual(deep);
    expect(await ask(app, nested(20))).toEqual(refused('Operation nests fields deeper than 15 levels (GRAPHQL_MAX_DEPTH)'));
  });

  it('refuses many aliases and unknown fragments', async () => {
    expect(await ask(app, aliases(100))).toEqual(refused('Operation uses more than 30 aliases (GRAPHQL_MAX_ALIASES)'));
    expect(await ask(app, aliases(1000))).toEqual(TOO_MANY_TOKENS);
    expect(await ask(app, 'query Q { ...Nope }')).toEqual(refused('Operation Q spreads fragment Nope, which is not defined'));
  });

  it('still answers ordinary documents with fragments and aliases', async () => {
    const query = 'fragment R on ParsedReference { canonical } fragment Both on Query { a: parseReference(reference: "nginx") { ...R } b: parseReference(reference: "redis:7") { ...R } } { ...Both __typename }';
    expect(await ask(app, query)).toEqual({ status: 200, data: { a: { canonical: 'docker.io/library/nginx' }, b: { canonical: 'docker.io/library/redis:7' }, __typename: 'Query' } });
  });
});

describe('hostile GraphQL documents, text limits raised to the body limit', () => {
  it('refuses cycles and diamonds of 1000 and 10 000 fragments in linear time', async () => {
    expect(await ask(raised, diamond(1000, true))).toEqual(cycle(1000));
    expect(await ask(raised, diamond(10_000, true))).toEqual(cycle(10_000));
    expect(await ask(raised, diamond(1000))).toEqual(TOO_MANY_FIELDS);
    expect(await ask(raised, diamond(10_000))).toEqual(TOO_MANY_FIELDS);
    expect(await ask(raised, allPrevious(300))).toEqual(TOO_MANY_FIELDS);
  });

  it('refuses a megabyte of fields, 5 000 aliases and deep nesting by the operation limits', async () => {
    expect(await ask(raised, fields(MiB))).toEqual(TOO_MANY_FIELDS);
    expect(await ask(raised, aliases(5000))).toEqual(refused('Operation uses more than 30 aliases (GRAPHQL_MAX_ALIASES)'));
    expect(await ask(raised, nested(10_000))).toEqual(refused(/^Document nests \{, \[ and \( deeper than 62 levels/));
  });

  it('keeps serving afterwards', async () => {
    expect(await ask(raised, '{ __typename }')).toEqual({ status: 200, data: { __typename: 'Query' } });
  });
});
