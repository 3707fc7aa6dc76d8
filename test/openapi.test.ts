/**
 * Issue 13 item 6: /openapi.json fit for generated clients. The document the service serves passes Redocly's
 * recommended ruleset (`redocly lint --extends recommended`) without an error, `openapi-typescript` turns it
 * into types that compile, and every operation has a stable `operationId`, a summary and its security.
 * `npm run lint:openapi` is this file; `npm run lint` and `npm test` run it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from './support/app.js';

const run = promisify(execFile);

type Operation = { operationId?: string; summary?: string; description?: string; security?: Record<string, string[]>[]; responses: Record<string, unknown> };
type Document = { servers?: { url: string }[]; paths: Record<string, Record<string, Operation>>; components: { securitySchemes?: Record<string, unknown> } };

/** `METHOD /path` → operationId: the names generated clients give their methods. Changing one breaks every client. */
const OPERATION_IDS: Record<string, string> = {
  'GET /healthz': 'healthz',
  'GET /readyz': 'readyz',
  'GET /v1/references/parse': 'parseReference',
  'POST /v1/references/parse': 'parseReferences',
  'GET /v1/digests': 'resolveDigest',
  'POST /v1/digests': 'resolveDigests',
  'POST /v1/pull-decisions': 'decidePull',
  'POST /v1/pull-decisions/batch': 'decidePulls',
  'POST /v1/pull-decisions/manifests': 'decideManifestPulls',
  'POST /v1/pull-policy/default': 'defaultPullPolicy',
  'POST /v1/manifests/default': 'defaultManifests',
  'GET /v1/plugins': 'listPlugins',
  'GET /v1/version': 'getVersion',
  'POST /v1/admission/mutate': 'admissionMutate',
  'POST /v1/admission/validate': 'admissionValidate',
  'POST /v1/externaldata': 'externalData',
  'POST /v1/externaldata/pinned': 'externalDataPinned',
};

/** Scope words each secured operation's description ends with (from the rules the service enforces). */
const SCOPES: Record<string, string> = {
  parseReference: 'scope `read`.',
  resolveDigest: 'scope `resolve`.',
  decidePull: 'scope `read`, and `resolve` unless `registry` simulates the registry.',
  decidePulls: 'scope `read`, and `resolve` unless every item of `decisions` simulates the registry (`registry`).',
  admissionMutate: 'scope `admission`.',
};

async function documentOf(env: Record<string, string> = {}): Promise<Document> {
  const app = await startTestApp(env);
  try {
    const response = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    return response.json() as Document;
  } finally {
    await app.close();
  }
}

function operations(document: Document): [string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation] as [string, Operation]));
}

let document: Document;
let dir: string;

beforeAll(async () => {
  document = await documentOf();
  dir = await mkdtemp(join(tmpdir(), 'openapi-'));
  await writeFile(join(dir, 'openapi.json'), JSON.stringify(document, null, 2));
});
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('/openapi.json', () => {
  it('names every operation with its stable operationId, and each once', () => {
    const found = Object.fromEntries(operations(document).map(([what, operation]) => [what, operation.operationId]));
    expect(found).toEqual(OPERATION_IDS);
  });

  it('gives every operation a summary and a security requirement', () => {
    for (const [what, operation] of operations(document)) {
      expect(operation.summary, what).toMatch(/\S/);
      expect(operation.security, what).toBeDefined();
    }
  });

  it('declares the bearer scheme and a relative server', () => {
    expect(document.components.securitySchemes).toMatchObject({ bearer: { type: 'http', scheme: 'bearer' } });
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('needs no key on the open paths and a bearer key with the named scope everywhere else', async () => {
    for (const [what, operation] of operations(document)) {
      const open = what === 'GET /healthz' || what === 'GET /readyz'; // AUTH_OPEN_PATHS' default (with /metrics, not documented)
      expect(operation.security, what).toEqual(open ? [] : [{ bearer: [] }]);
      if (open) continue;
      expect(Object.keys(operation.responses), what).toEqual(expect.arrayContaining(['401', '403', '429']));
      const scopes = SCOPES[operation.operationId as string];
      if (scopes !== undefined) expect(operation.description?.endsWith(scopes), `${what}: ${operation.description}`).toBe(true);
    }
    // The open paths are this instance's: with AUTH_OPEN_PATHS=none, health needs a key too.
    const closed = await documentOf({ AUTH_OPEN_PATHS: 'none' });
    expect(closed.paths['/healthz'].get.security).toEqual([{ bearer: [] }]);
  });

  it("passes Redocly's recommended ruleset without an error", async () => {
    const cli = join(process.cwd(), 'node_modules', '.bin', 'redocly');
    const result = await run(cli, ['lint', '--extends', 'recommended', '--format', 'json', join(dir, 'openapi.json')], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
    const report = JSON.parse(result.stdout) as { totals: { errors: number; warnings: number }; problems: { severity: string; ruleId: string; message: string; location: { pointer: string }[] }[] };
    const errors = report.problems.filter((problem) => problem.severity === 'error').map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
    // Warnings left, on purpose: /healthz and /readyz are open paths and have no 4xx answer.
    const warnings = report.problems.filter((problem) => problem.severity === 'warn').map((p) => `${p.ruleId} at ${p.location[0]?.pointer}`);
    expect(warnings).toEqual(['operation-4xx-response at #/paths/~1healthz/get/responses', 'operation-4xx-response at #/paths/~1readyz/get/responses']);
  });

  it('becomes TypeScript types with openapi-typescript that compile, one per operationId', async () => {
    await writeFile(join(dir, 'api.d.ts'), astToString(await openapiTS(structuredClone(document) as never)));
    // openapi-typescript makes a field with a `default` required unless told not to (as the README says):
    // then a request may leave out what the service defaults.
    await writeFile(join(dir, 'api-optional-defaults.d.ts'), astToString(await openapiTS(structuredClone(document) as never, { defaultNonNullable: false })));
    // A client's use of the types: operations by their ids, answers and bodies by their names.
    const use = [
      "import type { components, operations } from './api.js';",
      "import type { paths } from './api-optional-defaults.js';",
      ...Object.values(OPERATION_IDS).map((id) => `export type ${id[0].toUpperCase()}${id.slice(1)} = operations['${id}'];`),
      "export const parsed: operations['parseReference']['responses'][200]['content']['application/json'] = {} as components['schemas']['ParsedReferenceDto'];",
      "export const canonical: string = parsed.canonical;",
      "export const decision: paths['/v1/pull-decisions']['post']['requestBody'] = { content: { 'application/json': { image: 'nginx', imagePullPolicy: null } } };",
      "export const error: components['schemas']['ErrorResponseDto']['error']['code'] = 'InvalidReference';",
    ].join('\n');
    await writeFile(join(dir, 'use.ts'), use);
    const program = ts.createProgram([join(dir, 'use.ts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
      skipLibCheck: false,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(diagnostics).toEqual([]);
  });
});
