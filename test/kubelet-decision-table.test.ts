/**
 * The kubelet decision tables: every `*.json` in test/fixtures/kubelet-decisions/ is an array of rows
 *   {"name", "source" (the Kubernetes file#function the row follows), "input" (a POST /v1/pull-decisions body),
 *    "expect" (a partial PullDecision: action, reason, credentialVerification, …)}
 * and every row is checked over REST (POST /v1/pull-decisions), over GraphQL (the pullDecision query) and — as the
 * one container of a Pod — over the manifest route (POST /v1/pull-decisions/manifests, the pod's Secrets given as
 * `secrets`), on the whole service with no rule plugins (PLUGINS_DIR is an empty directory), so answers depend on
 * the row alone.
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

/** A row's single-container input as a Pod for POST /v1/pull-decisions/manifests. */
function asManifest(input: Record<string, unknown>): { body: Record<string, unknown>; container: string } {
  const pod = (input.pod ?? {}) as { namespace?: string; name?: string; imagePullSecrets?: Array<{ namespace?: string; name: string }>; serviceAccount?: unknown };
  const namespace = pod.namespace ?? 'default';
  const container: Record<string, unknown> = { name: 'app', image: input.image };
  if (input.imagePullPolicy !== undefined) container.imagePullPolicy = input.imagePullPolicy;
  const spec: Record<string, unknown> = { containers: [container] };
  if (pod.imagePullSecrets !== undefined) spec.imagePullSecrets = pod.imagePullSecrets.map((secret) => ({ name: secret.name }));
  const body: Record<string, unknown> = {
    manifests: { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name: pod.name ?? 'p' }, spec },
    registry: input.registry,
  };
  for (const key of ['node', 'alwaysPullImages', 'detectDrift'] as const) if (input[key] !== undefined) body[key] = input[key];
  if (pod.imagePullSecrets !== undefined) body.secrets = pod.imagePullSecrets.map((secret) => ({ ...secret, namespace: secret.namespace ?? namespace }));
  const known = new Set(['image', 'imagePullPolicy', 'node', 'pod', 'registry', 'alwaysPullImages', 'detectDrift']);
  const unknown = Object.keys(input).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new Error(`a row's input has ${unknown.join(', ')}, which the manifest form of the row does not carry yet`);
  return { body, container: 'app' };
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

  it.each(cases)('manifests: %s (%s)', async (_name, _source, row) => {
    const { body, container } = asManifest(row.input);
    const response = await http.post('/v1/pull-decisions/manifests').set('content-type', 'application/json').send(JSON.stringify(body));
    if ('error' in row.expect) {
      // The same bad input: refused as a whole, or reported as this container's error, with the same code.
      const code = (row.expect.error as { code: string }).code;
      if (response.status === 400) expect(response.body.error.code).toBe(code);
      else expect(response.body.results?.[0]?.error?.code, JSON.stringify(response.body)).toBe(code);
      return;
    }
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const result = (response.body.results as Array<{ container: string; decision: unknown }>).find((r) => r.container === container);
    expect(result?.decision, JSON.stringify(response.body)).toMatchObject(row.expect);
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
