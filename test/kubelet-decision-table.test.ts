/**
 * The kubelet decision tables: every `*.json` in test/fixtures/kubelet-decisions/ is an array of rows
 *   {"name", "source" (the Kubernetes file#function the row follows), "input" (a POST /v1/pull-decisions body),
 *    "expect" (a partial PullDecision: action, reason, credentialVerification, …)}
 * and every row is checked over REST (POST /v1/pull-decisions) and over GraphQL (the pullDecision query), on the
 * whole service with no rule plugins (PLUGINS_DIR is an empty directory), so answers depend on the row alone.
 *
 * Rows must be self-contained: give `registry` in the input (a simulated registry: no network is used). `expect`
 * is compared with toMatchObject (objects partially, arrays element by element and of the same length). An
 * `expect` of `{"error": {"code": …, "message"?: …}}` expects a 400 with that error over REST and the same code
 * (`extensions.code`) over GraphQL.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from './support/app.js';

interface Row {
  name: string;
  source: string;
  input: Record<string, unknown>;
  expect: Record<string, unknown>;
}

const DIR = fileURLToPath(new URL('./fixtures/kubelet-decisions/', import.meta.url));

/** Every row of every table, checked for its shape so that a broken file fails loudly, not silently. */
function loadTables(): Array<{ file: string; rows: Row[] }> {
  const files = readdirSync(DIR)
    .filter((file) => file.endsWith('.json'))
    .sort();
  return files.map((file) => {
    const rows: unknown = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
    if (!Array.isArray(rows) || rows.length === 0) throw new Error(`${file}: must be a non-empty JSON array of rows`);
    const names = new Set<string>();
    rows.forEach((row: Partial<Row>, index) => {
      const at = `${file}[${index}]`;
      if (typeof row?.name !== 'string' || row.name === '') throw new Error(`${at}: "name" must be a non-empty string`);
      if (names.has(row.name)) throw new Error(`${at}: the name ${JSON.stringify(row.name)} is used twice`);
      names.add(row.name);
      if (typeof row.source !== 'string' || !/#/.test(row.source)) throw new Error(`${at} (${row.name}): "source" must name a Kubernetes file#function`);
      if (!row.input || typeof row.input !== 'object' || Array.isArray(row.input)) throw new Error(`${at} (${row.name}): "input" must be a POST /v1/pull-decisions body`);
      if (!row.input.registry) throw new Error(`${at} (${row.name}): "input.registry" must simulate the registry (rows use no network)`);
      if (!row.expect || typeof row.expect !== 'object' || Array.isArray(row.expect) || Object.keys(row.expect).length === 0) {
        throw new Error(`${at} (${row.name}): "expect" must be a non-empty partial PullDecision`);
      }
    });
    return { file, rows: rows as Row[] };
  });
}

/** The GraphQL selection that returns every field `expect` names (arrays of objects: the union of their fields). */
function selection(expected: Record<string, unknown>): string {
  return Object.entries(expected)
    .map(([key, value]) => {
      if (Array.isArray(value)) {
        const objects = value.filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object' && !Array.isArray(item));
        return objects.length > 0 ? `${key} { ${selection(Object.assign({}, ...objects))} }` : key;
      }
      if (value !== null && typeof value === 'object') return `${key} { ${selection(value as Record<string, unknown>)} }`;
      return key;
    })
    .join(' ');
}

const tables = loadTables();
const pluginsDir = mkdtempSync(join(tmpdir(), 'kubelet-decisions-no-plugins-'));
let app: NestFastifyApplication;
let http: ReturnType<typeof request>;

beforeAll(async () => {
  app = await startTestApp({ PLUGINS_DIR: pluginsDir });
  http = request(app.getHttpServer());
});
afterAll(async () => {
  await app?.close();
  rmSync(pluginsDir, { recursive: true, force: true });
});

it('finds the tables', () => {
  expect(tables.map((table) => table.file)).toContain('credentials.json');
});

describe.each(tables.map((table) => [table.file, table.rows] as const))('%s', (_file, rows) => {
  const cases = rows.map((row) => [row.name, row.source, row] as const);

  it.each(cases)('REST: %s (%s)', async (_name, _source, row) => {
    const response = await http.post('/v1/pull-decisions').set('content-type', 'application/json').send(JSON.stringify(row.input));
    if ('error' in row.expect) {
      expect(response.status, JSON.stringify(response.body)).toBe(400);
      expect(response.body).toMatchObject(row.expect);
      return;
    }
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject(row.expect);
  });

  it.each(cases)('GraphQL: %s (%s)', async (_name, _source, row) => {
    const wanted = 'error' in row.expect ? { action: true } : row.expect;
    const query = `query ($input: PullDecisionInput!) { pullDecision(input: $input) { ${selection(wanted)} } }`;
    const response = await http.post('/graphql').send({ query, variables: { input: row.input } });
    expect(response.status).toBeLessThan(500);
    if ('error' in row.expect) {
      const error = row.expect.error as { code: string; message?: string };
      expect(response.body.errors?.[0]?.extensions?.code, JSON.stringify(response.body)).toBe(error.code);
      if (error.message !== undefined) expect(response.body.errors[0].message).toBe(error.message);
      return;
    }
    expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
    expect(response.body.data.pullDecision).toMatchObject(row.expect);
  });
});
