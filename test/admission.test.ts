/**
 * The admission webhook and the Gatekeeper provider with real AdmissionReview / ProviderRequest documents:
 * every kind with a pod template, CREATE, UPDATE with and without new images, dry run, subresources, DELETE
 * and CONNECT, malformed reviews, the time budget under both failure policies, and API-key scopes. Each
 * JSONPatch is applied to the original object and compared with the expected object.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { startTestApp } from './support/app.js';

const PLUGINS_DIR = fileURLToPath(new URL('./fixtures/admission-plugins', import.meta.url));
const HEX = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
const DIGEST = `sha256:${'d'.repeat(64)}`;

type Json = Record<string, unknown>;

/** RFC 6902 add/replace/remove, enough to check the webhook's patches (it never emits other ops). */
function applyPatch<T>(document: T, operations: { op: string; path: string; value?: unknown }[]): T {
  const copy = structuredClone(document) as unknown;
  for (const { op, path, value } of operations) {
    const parts = path.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop() as string;
    let parent = copy as Record<string, unknown> | unknown[];
    for (const part of parts) parent = (parent as Record<string, unknown>)[part] as Record<string, unknown>;
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (op === 'add') parent.splice(index, 0, value);
      else if (op === 'replace') parent[index] = value;
      else parent.splice(index, 1);
    } else {
      if ((op === 'replace' || op === 'remove') && !(last in parent)) throw new Error(`${op} of missing ${path}`);
      if (op === 'remove') delete parent[last];
      else parent[last] = value;
    }
  }
  return copy as T;
}

function review(operation: string, kind: { group?: string; version?: string; kind: string }, object: Json | null, extra: Json = {}): Json {
  const resource = `${kind.kind.toLowerCase()}s`;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${Math.random().toString(16).slice(2)}`,
      kind: { group: kind.group ?? '', version: kind.version ?? 'v1', kind: kind.kind },
      resource: { group: kind.group ?? '', version: kind.version ?? 'v1', resource },
      requestKind: { group: kind.group ?? '', version: kind.version ?? 'v1', kind: kind.kind },
      name: (object?.metadata as Json | undefined)?.name,
      namespace: (object?.metadata as Json | undefined)?.namespace ?? 'default',
      operation,
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters'] },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: operation === 'UPDATE' ? 'UpdateOptions' : 'CreateOptions' },
      ...extra,
    },
  };
}

let app: NestFastifyApplication;
let http: ReturnType<typeof request>;
let registry: Server;
let registryPort: number;

beforeAll(async () => {
  registry = createServer((req, res) => {
    if (/^\/v2\/.+\/manifests\//.test(req.url ?? '')) {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': DIGEST, 'content-length': '2' });
      return res.end(req.method === 'HEAD' ? undefined : '{}');
    }
    res.writeHead(req.url === '/v2/' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  registryPort = (registry.address() as { port: number }).port;
  app = await startTestApp({ PLUGINS_DIR, ADMISSION_TIMEOUT_MS: '400', REGISTRY_PLAIN_HTTP: `127.0.0.1:${registryPort}` });
  http = request(app.getHttpServer());
});
afterAll(async () => {
  await app?.close();
  registry?.close();
});

async function admit(webhook: 'mutate' | 'validate', body: Json, client = http, query = '') {
  const response = await client.post(`/v1/admission/${webhook}${query}`).send(body).expect(200);
  const answer = response.body as { apiVersion: string; kind: string; response: { uid: string; allowed: boolean; patchType?: string; patch?: string; warnings?: string[]; status?: Json; auditAnnotations?: Record<string, string> } };
  expect(answer.apiVersion).toBe(body.apiVersion);
  expect(answer.kind).toBe('AdmissionReview');
  expect(answer.response.uid).toBe((body.request as Json).uid);
  const patch = answer.response.patch === undefined ? [] : (JSON.parse(Buffer.from(answer.response.patch, 'base64').toString('utf8')) as { op: string; path: string; value?: unknown }[]);
  if (answer.response.patch !== undefined) expect(answer.response.patchType).toBe('JSONPatch');
  return { ...answer.response, ops: patch };
}

const pod = (namespace: string, spec: Json): Json => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace, labels: { app: 'web' } }, spec });

describe('mutate: Pod CREATE', () => {
  it('patches plugin mutations and defaulting, with warnings, and the patch gives the expected object', async () => {
    const object = pod('prod', {
      initContainers: [{ name: 'init', image: 'ghcr.io/org/tool:1.0', imagePullPolicy: 'IfNotPresent' }],
      containers: [
        { name: 'app', image: 'nginx' },
        { name: 'side', image: `ghcr.io/org/side@sha256:${HEX}`, imagePullPolicy: 'Always' },
      ],
    });
    const answer = await admit('mutate', review('CREATE', { kind: 'Pod' }, object));
    expect(answer.allowed).toBe(true);
    expect(answer.warnings).toEqual(['container "app" (image nginx): warn-latest: uses a mutable tag']);
    expect(applyPatch(object, answer.ops)).toEqual(
      pod('prod', {
        initContainers: [{ name: 'init', image: 'ghcr.io/org/tool:1.0', imagePullPolicy: 'Always' }],
        containers: [
          { name: 'app', image: 'mirror.example.com/dockerhub/library/nginx', imagePullPolicy: 'Always' },
          { name: 'side', image: `ghcr.io/org/side@sha256:${HEX}`, imagePullPolicy: 'Always' },
        ],
      }),
    );
    expect(answer.auditAnnotations).toMatchObject({ outcome: 'patched', containers: '3' });
  });

  it('answers the same for a dry run, and v1beta1 reviews in v1beta1', async () => {
    const object = pod('dev', { containers: [{ name: 'app', image: 'redis:7' }] });
    const dry = await admit('mutate', review('CREATE', { kind: 'Pod' }, object, { dryRun: true }));
    expect(applyPatch(object, dry.ops)).toEqual(pod('dev', { containers: [{ name: 'app', image: 'mirror.example.com/dockerhub/library/redis:7', imagePullPolicy: 'IfNotPresent' }] }));
    const beta = await admit('mutate', { ...review('CREATE', { kind: 'Pod' }, object), apiVersion: 'admission.k8s.io/v1beta1' });
    expect(beta.ops).toEqual(dry.ops);
  });

  it('leaves an object that needs nothing without a patch', async () => {
    const answer = await admit('mutate', review('CREATE', { kind: 'Pod' }, pod('dev', { containers: [{ name: 'a', image: 'ghcr.io/org/a:1', imagePullPolicy: 'IfNotPresent' }] })));
    expect(answer).toMatchObject({ allowed: true, ops: [] });
    expect(answer.patch).toBeUndefined();
    expect(answer.warnings).toBeUndefined();
  });

  it('warns about an image the kubelet cannot parse (the API server accepts it)', async () => {
    const object = pod('dev', { containers: [{ name: 'a', image: 'Nginx:1' }] });
    const answer = await admit('mutate', review('CREATE', { kind: 'Pod' }, object));
    expect(answer.warnings?.[0]).toMatch(/^container "a": image "Nginx:1" is not a valid reference \(.*must be lowercase\); the kubelet will fail with InvalidImageName$/);
    expect(applyPatch(object, answer.ops)).toEqual(pod('dev', { containers: [{ name: 'a', image: 'Nginx:1', imagePullPolicy: 'IfNotPresent' }] }));
  });
});

describe('mutate: every kind with a pod template', () => {
  const template = (containers: Json[]) => ({ metadata: { labels: { app: 'x' } }, spec: { containers } });
  const kinds: [string, string, string, (t: Json) => Json][] = [
    ['', 'v1', 'PodTemplate', (t) => ({ template: t })],
    ['', 'v1', 'ReplicationController', (t) => ({ spec: { replicas: 1, template: t } })],
    ['apps', 'v1', 'ReplicaSet', (t) => ({ spec: { replicas: 1, template: t } })],
    ['apps', 'v1', 'Deployment', (t) => ({ spec: { replicas: 2, template: t } })],
    ['apps', 'v1', 'StatefulSet', (t) => ({ spec: { serviceName: 'x', template: t } })],
    ['apps', 'v1', 'DaemonSet', (t) => ({ spec: { template: t } })],
    ['batch', 'v1', 'Job', (t) => ({ spec: { template: t } })],
    ['batch', 'v1', 'CronJob', (t) => ({ spec: { schedule: '* * * * *', jobTemplate: { spec: { template: t } } } })],
  ];

  it.each(kinds)('%s/%s %s', async (group, version, kind, wrap) => {
    const object = { apiVersion: group ? `${group}/${version}` : version, kind, metadata: { name: 'x', namespace: 'dev' }, ...wrap(template([{ name: 'c', image: 'redis:7' }])) };
    const answer = await admit('mutate', review('CREATE', { group, version, kind }, object));
    expect(applyPatch(object, answer.ops)).toEqual({ ...object, ...wrap(template([{ name: 'c', image: 'mirror.example.com/dockerhub/library/redis:7', imagePullPolicy: 'IfNotPresent' }])) });
  });

  it('skips kinds without pods', async () => {
    const answer = await admit('mutate', review('CREATE', { kind: 'ConfigMap' }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: {} }));
    expect(answer).toMatchObject({ allowed: true, ops: [], auditAnnotations: { outcome: 'skipped', reason: 'ConfigMap has no pod template' } });
  });
});

describe('UPDATE', () => {
  const deployment = (images: [string, string][]) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'prod' },
    spec: { template: { spec: { containers: images.map(([name, image]) => ({ name, image, imagePullPolicy: 'IfNotPresent' })) } } },
  });

  it('evaluates only the images the update introduces', async () => {
    const before = deployment([['app', 'ghcr.io/org/app:1'], ['side', 'busybox:1.35']]);
    const after = deployment([['app', 'ghcr.io/org/app:1'], ['side', 'busybox:1.36']]);
    const answer = await admit('mutate', review('UPDATE', { group: 'apps', kind: 'Deployment' }, after, { oldObject: before }));
    expect(answer.ops).toEqual([
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: 'mirror.example.com/dockerhub/library/busybox:1.36' },
      { op: 'replace', path: '/spec/template/spec/containers/1/imagePullPolicy', value: 'Always' },
    ]);
  });

  it('leaves an update without new images alone (even in prod, where new images get Always)', async () => {
    const object = deployment([['app', 'ghcr.io/org/app:1']]);
    const answer = await admit('mutate', review('UPDATE', { group: 'apps', kind: 'Deployment' }, { ...object, spec: { ...object.spec, replicas: 5 } }, { oldObject: object }));
    expect(answer).toMatchObject({ allowed: true, ops: [], auditAnnotations: { outcome: 'allowed', containers: '0' } });
  });

  it('never changes a Pod\'s policy on update (the API server would refuse it), and says so', async () => {
    const before = pod('prod', { containers: [{ name: 'app', image: 'ghcr.io/org/app:1', imagePullPolicy: 'IfNotPresent' }] });
    const after = pod('prod', { containers: [{ name: 'app', image: 'redis:7', imagePullPolicy: 'IfNotPresent' }] });
    const answer = await admit('mutate', review('UPDATE', { kind: 'Pod' }, after, { oldObject: before }));
    expect(answer.ops).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: 'mirror.example.com/dockerhub/library/redis:7' }]);
    expect(answer.warnings).toEqual(['container "app": the plugins set imagePullPolicy Always, but a Pod\'s policy cannot change on update; it stays IfNotPresent']);
  });

  it('checks the ephemeral containers kubectl debug adds (pods/ephemeralcontainers), and skips other subresources', async () => {
    const before = pod('prod', { containers: [{ name: 'app', image: 'ghcr.io/org/app:1' }] });
    const after = pod('prod', { containers: [{ name: 'app', image: 'ghcr.io/org/app:1' }], ephemeralContainers: [{ name: 'debugger', image: 'forbidden/busybox' }] });
    for (const webhook of ['mutate', 'validate'] as const) {
      const answer = await admit(webhook, review('UPDATE', { kind: 'Pod' }, after, { oldObject: before, subResource: 'ephemeralcontainers' }));
      expect(answer).toMatchObject({ allowed: false, status: { code: 403 } });
      expect(answer.status?.message).toMatch(/ephemeral container "debugger" \(image forbidden\/busybox\): deny-forbidden/);
    }
    const allowed = pod('prod', { containers: [{ name: 'app', image: 'ghcr.io/org/app:1' }], ephemeralContainers: [{ name: 'debugger', image: 'ghcr.io/org/busybox:1' }] });
    expect(await admit('validate', review('UPDATE', { kind: 'Pod' }, allowed, { oldObject: before, subResource: 'ephemeralcontainers' }))).toMatchObject({ allowed: true });
    const status = await admit('validate', review('UPDATE', { kind: 'Pod' }, after, { oldObject: before, subResource: 'status' }));
    expect(status).toMatchObject({ allowed: true, ops: [], auditAnnotations: { outcome: 'skipped', reason: 'subresource status is not checked' } });
  });

  it('allows DELETE and CONNECT', async () => {
    for (const operation of ['DELETE', 'CONNECT']) {
      const body = review(operation, { kind: 'Pod' }, null, { oldObject: pod('prod', { containers: [{ name: 'a', image: 'forbidden/x' }] }) });
      expect(await admit('validate', body)).toMatchObject({ allowed: true, ops: [] });
    }
  });
});

describe('validate', () => {
  it('refuses deny verdicts with a message naming the plugin', async () => {
    const object = pod('dev', { containers: [{ name: 'app', image: 'forbidden/app:1' }, { name: 'ok', image: 'ghcr.io/org/ok:1' }] });
    const answer = await admit('validate', review('CREATE', { kind: 'Pod' }, object));
    expect(answer.allowed).toBe(false);
    expect(answer.ops).toEqual([]);
    expect(answer.status).toEqual({ code: 403, reason: 'Forbidden', message: 'image policy denied Pod web: container "app" (image forbidden/app:1): deny-forbidden: images named forbidden are not allowed' });
  });

  it('allows with warnings and never patches', async () => {
    const answer = await admit('validate', review('CREATE', { kind: 'Pod' }, pod('dev', { containers: [{ name: 'app', image: 'nginx' }] })));
    expect(answer).toMatchObject({ allowed: true, ops: [] });
    expect(answer.warnings).toEqual(['container "app" (image nginx): warn-latest: uses a mutable tag']);
  });

  it('mutate refuses a denied image too', async () => {
    const answer = await admit('mutate', review('CREATE', { kind: 'Pod' }, pod('dev', { containers: [{ name: 'app', image: 'forbidden/app:1' }] })));
    expect(answer).toMatchObject({ allowed: false, ops: [], status: { code: 403 } });
  });
});

describe('time budget and failure policies', () => {
  const slowPod = () => review('CREATE', { kind: 'Pod' }, pod('dev', { containers: [{ name: 'app', image: 'ghcr.io/org/slow:1' }] }));

  // Every plugin waits at most what is left of the review's budget: the slow plugin's own timeoutMs (5 s) and
  // its two seconds never hold the answer, and it is the webhook's policy that decides, not the plugin's.
  it('mutate fails open by default (ADMISSION_MUTATE_FAILURE_POLICY=Ignore): allowed unchanged, reported', async () => {
    const answer = await admit('mutate', slowPod());
    expect(answer).toMatchObject({ allowed: true, ops: [], auditAnnotations: { outcome: 'timeout-allowed', failurePolicy: 'Ignore' } });
    expect(answer.warnings).toEqual(['image policy: the image policy was not evaluated within 400 ms (ADMISSION_TIMEOUT_MS); allowed unchecked (ADMISSION_MUTATE_FAILURE_POLICY=Ignore)']);
  });

  it('validate fails closed by default (ADMISSION_VALIDATE_FAILURE_POLICY=Fail): 504 Timeout', async () => {
    const answer = await admit('validate', slowPod());
    expect(answer).toMatchObject({
      allowed: false,
      status: { code: 504, reason: 'Timeout', message: 'image policy: the image policy was not evaluated within 400 ms (ADMISSION_TIMEOUT_MS); refused (ADMISSION_VALIDATE_FAILURE_POLICY=Fail)' },
      auditAnnotations: { outcome: 'timeout-denied', failurePolicy: 'Fail' },
    });
  });

  it('a plugin whose own failurePolicy is Ignore cannot open the validating webhook by running out the budget', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'admission-ignore-'));
    writeFileSync(join(dir, 'hang.mjs'), 'export default { name: "hang", evaluate: () => new Promise(() => {}) };\n');
    writeFileSync(join(dir, 'plugins.yaml'), 'plugins:\n  - { name: hang, failurePolicy: Ignore, timeoutMs: 60000 }\n');
    const lenient = await startTestApp({ PLUGINS_DIR: dir, ADMISSION_TIMEOUT_MS: '300' });
    try {
      const client = request(lenient.getHttpServer());
      const validate = await admit('validate', slowPod(), client);
      expect(validate).toMatchObject({ allowed: false, status: { code: 504, reason: 'Timeout' } });
      const mutate = await admit('mutate', slowPod(), client);
      expect(mutate).toMatchObject({ allowed: true, auditAnnotations: { outcome: 'timeout-allowed' } });
    } finally {
      await lenient.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each webhook has its own policy, and the budget follows the API server\'s own ?timeout=', async () => {
    const swapped = await startTestApp({ PLUGINS_DIR, ADMISSION_VALIDATE_FAILURE_POLICY: 'Ignore', ADMISSION_MUTATE_FAILURE_POLICY: 'Fail', ADMISSION_TIMEOUT_MS: '10000' });
    try {
      const client = request(swapped.getHttpServer());
      const mutate = await admit('mutate', slowPod(), client, '?timeout=1s');
      expect(mutate).toMatchObject({ allowed: false, status: { code: 504, reason: 'Timeout', message: 'image policy: the image policy was not evaluated within 700 ms (ADMISSION_TIMEOUT_MS); refused (ADMISSION_MUTATE_FAILURE_POLICY=Fail)' } });
      const validate = await admit('validate', slowPod(), client, '?timeout=1s');
      expect(validate).toMatchObject({ allowed: true, auditAnnotations: { outcome: 'timeout-allowed', failurePolicy: 'Ignore' } });
    } finally {
      await swapped.close();
    }
  });

  it('ADMISSION_FAILURE_POLICY still works, for both webhooks, as a deprecated alias', async () => {
    const legacy = await startTestApp({ PLUGINS_DIR, ADMISSION_FAILURE_POLICY: 'Fail', ADMISSION_TIMEOUT_MS: '300' });
    try {
      const answer = await admit('mutate', slowPod(), request(legacy.getHttpServer()));
      expect(answer).toMatchObject({ allowed: false, status: { code: 504, reason: 'Timeout' } });
    } finally {
      await legacy.close();
    }
  });
});

describe('malformed reviews', () => {
  it.each([
    [[1, 2], 'Malformed AdmissionReview: the body must be a JSON object'],
    [{ apiVersion: 'v1', kind: 'AdmissionReview' }, 'Malformed AdmissionReview: apiVersion must be admission.k8s.io/v1 (or v1beta1), got "v1"'],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'Pod' }, 'Malformed AdmissionReview: kind must be AdmissionReview, got "Pod"'],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'Malformed AdmissionReview: request is required and must be an object'],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }, 'Malformed AdmissionReview: request.uid is required (a non-empty string)'],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'PATCH' } }, 'Malformed AdmissionReview: request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got "PATCH"'],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'CREATE', kind: { version: 'v1', kind: 'Pod' } } }, 'Malformed AdmissionReview: request.object is required for CREATE'],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'UPDATE', kind: { version: 'v1', kind: 'Pod' }, object: {} } }, 'Malformed AdmissionReview: request.oldObject is required for UPDATE'],
  ])('400 for %j', async (body, message) => {
    const response = await http.post('/v1/admission/mutate').send(body as object).expect(400);
    expect(response.body).toEqual({ error: { code: 'InvalidRequest', message } });
  });
});

describe('Gatekeeper external data', () => {
  const providerRequest = (keys: unknown[]) => ({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } });

  it('answers a ProviderResponse with the digest and decision summary per key', async () => {
    const image = `127.0.0.1:${registryPort}/team/forbidden-app:1`;
    const response = await http.post('/v1/externaldata').send(providerRequest([image, 'Bad:ref', image])).expect(200);
    const summary = { digest: DIGEST, pinned: `127.0.0.1:${registryPort}/team/forbidden-app@${DIGEST}`, reference: image, defaultPullPolicy: 'IfNotPresent', verdict: 'deny', messages: ['deny-forbidden: images named forbidden are not allowed'], stale: false };
    expect(response.body).toEqual({
      apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
      kind: 'ProviderResponse',
      response: {
        idempotent: true,
        systemError: '',
        items: [
          { key: image, value: summary, error: '' },
          { key: 'Bad:ref', value: null, error: expect.stringMatching(/^InvalidReference: invalid reference format/) },
          { key: image, value: summary, error: '' },
        ],
      },
    });
  });

  it('gives the pinned reference as a string for mutation, and errors per key', async () => {
    const image = `127.0.0.1:${registryPort}/team/app:2`;
    const response = await http.post('/v1/externaldata/pinned').send(providerRequest([image, 'registry.invalid/x:1'])).expect(200);
    expect(response.body.response.items[0]).toEqual({ key: image, value: `127.0.0.1:${registryPort}/team/app@${DIGEST}`, error: '' });
    expect(response.body.response.items[1]).toMatchObject({ key: 'registry.invalid/x:1', value: null, error: expect.stringMatching(/^Registry\w+: /) });
  });

  it('400 for a malformed ProviderRequest', async () => {
    const response = await http.post('/v1/externaldata').send({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [1] } }).expect(400);
    expect(response.body.error).toEqual({ code: 'InvalidRequest', message: 'Malformed ProviderRequest: request.keys[0] must be a string' });
  });
});

describe('scope admission', () => {
  it('needs the admission scope for the webhook and the provider', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ips-admission-keys-'));
    const keys = join(dir, 'keys.json');
    writeFileSync(keys, JSON.stringify({ keys: [{ name: 'portal', sha256: sha256Hex('portal-key'), scopes: ['read', 'resolve'] }, { name: 'apiserver', sha256: sha256Hex('apiserver-key'), scopes: ['admission'] }] }));
    const secured = await startTestApp({ PLUGINS_DIR, API_KEYS_FILE: keys });
    try {
      const client = request(secured.getHttpServer());
      const body = review('CREATE', { kind: 'Pod' }, pod('dev', { containers: [{ name: 'a', image: 'redis:7' }] }));
      await client.post('/v1/admission/mutate').send(body).expect(401);
      const denied = await client.post('/v1/admission/mutate').set('authorization', 'Bearer portal-key').send(body).expect(403);
      expect(denied.body.error.message).toBe('API key "portal" lacks the scope admission needed for POST /v1/admission/mutate');
      await client.post('/v1/admission/validate').set('authorization', 'Bearer apiserver-key').send(body).expect(200);
      await client.post('/v1/externaldata').set('authorization', 'Bearer portal-key').send({}).expect(403);
      await client.get('/v1/references/parse?reference=nginx').set('authorization', 'Bearer apiserver-key').expect(403);
    } finally {
      await secured.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
