/**
 * POST /v1/pull-policy/default, POST /v1/manifests/default (JSON and raw YAML bodies) and POST
 * /v1/pull-decisions on the whole service (startTestApp, the bundled plugins as `npm start` loads them),
 * with their GraphQL twins: the answers' shapes, and every kind of bad request — wrong types, unknown
 * fields, malformed JSON and YAML — answered 400 with a code and a message naming the field, never a 500.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from './support/app.js';

const D = `sha256:${'d'.repeat(64)}`;
const SIMULATED = { available: true, exists: true, digest: D };

let app: NestFastifyApplication;
let http: ReturnType<typeof request>;

beforeAll(async () => {
  app = await startTestApp(); // PLUGINS_DIR defaults to ./plugins: disallow-latest warns, always-pull covers no namespace
  http = request(app.getHttpServer());
});
afterAll(async () => app?.close());

/** Posts a raw body (a string is sent as it is) with a content type. */
const post = (url: string, body: unknown, contentType = 'application/json') =>
  http
    .post(url)
    .set('content-type', contentType)
    .send(typeof body === 'string' ? body : JSON.stringify(body));

async function expectBadRequest(url: string, body: unknown, code: string, message: string | RegExp, contentType?: string): Promise<void> {
  const response = await post(url, body, contentType);
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  expect(Object.keys(response.body)).toEqual(['error']);
  expect(response.body.error.code).toBe(code);
  if (typeof message === 'string') expect(response.body.error.message).toBe(message);
  else expect(response.body.error.message).toMatch(message);
}

async function graphqlError(query: string, variables?: Record<string, unknown>): Promise<{ code: string; message: string }> {
  const response = await http.post('/graphql').send({ query, variables });
  expect(response.status).toBeLessThan(500);
  expect(response.body.errors?.length, JSON.stringify(response.body)).toBeGreaterThan(0);
  return { code: response.body.errors[0].extensions.code, message: response.body.errors[0].message };
}

const PLUGIN_FIELDS_EMPTY = { plugins: [], denied: false, deniedBy: null, denyMessages: [], beforePlugins: null };

describe('POST /v1/pull-policy/default', () => {
  it('answers the contract shape, with the bundled plugins\' verdicts', async () => {
    const response = await post('/v1/pull-policy/default', { image: 'nginx:1.25', context: { namespace: 'prod', labels: { app: 'web' } } }).expect(200);
    expect(response.body).toEqual({
      image: 'nginx:1.25',
      imagePullPolicy: 'IfNotPresent',
      defaulted: true,
      imageValid: true,
      reason: 'TagNotLatest',
      warnings: [],
      plugins: [
        { name: 'disallow-latest', verdict: 'allow', message: null, durationMs: expect.any(Number) },
        { name: 'always-pull', verdict: 'allow', message: null, durationMs: expect.any(Number) },
      ],
      denied: false,
      deniedBy: null,
      denyMessages: [],
      beforePlugins: null,
    });
  });

  it('out of the box, disallow-latest warns about untagged images; nothing is denied or changed', async () => {
    const response = await post('/v1/pull-policy/default', { image: 'nginx' }).expect(200);
    expect(response.body).toMatchObject({ image: 'nginx', imagePullPolicy: 'Always', reason: 'NoTag', denied: false, beforePlugins: null });
    expect(response.body.warnings).toEqual(['disallow-latest: image "nginx" has no tag, so it runs the mutable "latest": pin a version tag or a digest']);
  });

  it('an unparsable image: IfNotPresent, the kubelet\'s InvalidImageName warning, no plugin asked', async () => {
    const response = await post('/v1/pull-policy/default', { image: 'Nginx:1' }).expect(200);
    expect(response.body).toMatchObject({ imagePullPolicy: 'IfNotPresent', imageValid: false, reason: 'InvalidImage', ...PLUGIN_FIELDS_EMPTY });
    expect(response.body.warnings[0]).toContain('InvalidImageName');
  });

  it('AlwaysPullImages and a given value', async () => {
    expect((await post('/v1/pull-policy/default', { image: 'nginx:1.25', imagePullPolicy: 'Never', alwaysPullImages: true }).expect(200)).body).toMatchObject({
      imagePullPolicy: 'Always',
      reason: 'AlwaysPullImages',
      defaulted: false,
    });
    expect((await post('/v1/pull-policy/default', { image: 'nginx:1.25', imagePullPolicy: 'Never', context: null }).expect(200)).body).toMatchObject({ imagePullPolicy: 'Never', reason: 'Specified' });
  });

  it.each([
    ['no body fields', {}, 'InvalidRequest', 'image is required'],
    ['image of the wrong type', { image: 5 }, 'InvalidRequest', 'image must be a string'],
    ['image null', { image: null }, 'InvalidRequest', 'image is required'],
    ['image too long', { image: `a${'b'.repeat(5000)}` }, 'InvalidRequest', 'image must be at most 4096 characters'],
    ['imagePullPolicy of the wrong type', { image: 'nginx', imagePullPolicy: 3 }, 'InvalidRequest', 'imagePullPolicy must be a string'],
    ['an unsupported imagePullPolicy', { image: 'nginx', imagePullPolicy: 'always' }, 'InvalidPullPolicy', 'imagePullPolicy: Unsupported value: "always": supported values: "Always", "IfNotPresent", "Never" (values are case-sensitive: did you mean "Always"?)'],
    ['alwaysPullImages as a string', { image: 'nginx', alwaysPullImages: 'true' }, 'InvalidRequest', 'alwaysPullImages must be a boolean'],
    ['an unknown field', { image: 'nginx', namespace: 'prod' }, 'InvalidRequest', 'property namespace should not exist'],
    ['context not an object', { image: 'nginx', context: 'prod' }, 'InvalidRequest', 'context must be an object'],
    ['context as a list', { image: 'nginx', context: ['prod'] }, 'InvalidRequest', 'context must be an object'],
    ['context.namespace of the wrong type', { image: 'nginx', context: { namespace: 5 } }, 'InvalidRequest', 'context.namespace must be a string'],
    ['context.container of the wrong type', { image: 'nginx', context: { container: ['a'] } }, 'InvalidRequest', 'context.container must be a string'],
    ['context.labels not a map', { image: 'nginx', context: { labels: ['tier=web'] } }, 'InvalidRequest', 'context.labels must map label names to string values'],
    ['a label that is not a string', { image: 'nginx', context: { labels: { replicas: 3 } } }, 'InvalidRequest', 'context.labels must map label names to string values (label "replicas" is number)'],
    ['a JSON list', [{ image: 'nginx' }], 'InvalidRequest', 'Request body must be a JSON object'],
    ['JSON null', 'null', 'InvalidRequest', 'Request body must be a JSON object'],
    ['a JSON string', '"nginx"', 'InvalidRequest', 'Request body must be a JSON object'],
    ['malformed JSON', '{"image": "nginx",', 'InvalidRequest', /not valid JSON/],
    ['an empty JSON body', '', 'InvalidRequest', /empty|JSON/i],
  ])('%s → 400', async (_case, body, code, message) => {
    await expectBadRequest('/v1/pull-policy/default', body, code, message);
  });

  it('a body that is not JSON is refused with 415', async () => {
    const response = await post('/v1/pull-policy/default', 'image=nginx', 'application/x-www-form-urlencoded');
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('UnsupportedMediaType');
  });

  it('GraphQL defaultPullPolicy: the same answer, and errors with the same codes', async () => {
    const ok = await http
      .post('/graphql')
      .send({ query: '{ defaultPullPolicy(image: "nginx:1.25", context: {namespace: "prod"}) { image imagePullPolicy reason denied deniedBy denyMessages beforePlugins { image } plugins { name verdict } } }' })
      .expect(200);
    expect(ok.body.data.defaultPullPolicy).toEqual({
      image: 'nginx:1.25',
      imagePullPolicy: 'IfNotPresent',
      reason: 'TagNotLatest',
      denied: false,
      deniedBy: null,
      denyMessages: [],
      beforePlugins: null,
      plugins: [{ name: 'disallow-latest', verdict: 'allow' }, { name: 'always-pull', verdict: 'allow' }],
    });
    expect(await graphqlError('{ defaultPullPolicy(image: 5) { image } }')).toMatchObject({ code: 'InvalidRequest', message: expect.stringContaining('String cannot represent a non string value: 5') });
    expect(await graphqlError('{ defaultPullPolicy { image } }')).toMatchObject({ code: 'InvalidRequest', message: expect.stringContaining('argument "image" of type "String!" is required') });
    expect(await graphqlError('{ defaultPullPolicy(image: "nginx", bogus: 1) { image } }')).toMatchObject({ code: 'InvalidRequest', message: expect.stringContaining('Unknown argument "bogus"') });
    expect(await graphqlError('{ defaultPullPolicy(image: "nginx", imagePullPolicy: "Sometimes") { image } }')).toMatchObject({ code: 'InvalidPullPolicy' });
    expect(await graphqlError('{ defaultPullPolicy(image: "nginx", context: {labels: ["a"]}) { image } }')).toMatchObject({ code: 'InvalidRequest', message: expect.stringContaining('labels must map label names to string values') });
    expect(await graphqlError('{ defaultPullPolicy(image: "nginx", context: {zone: "a"}) { image } }')).toMatchObject({ code: 'InvalidRequest', message: expect.stringContaining('"zone"') });
  });
});

describe('POST /v1/manifests/default', () => {
  const yaml = `# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.25 # pinned
`;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'team' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };

  it('JSON body with YAML text: YAML back with comments, the report and the plugins\' verdicts', async () => {
    const response = await post('/v1/manifests/default', { manifests: yaml }).expect(200);
    expect(response.body.manifests).toBe(yaml.replace('# pinned\n', '# pinned\n        imagePullPolicy: IfNotPresent\n'));
    expect(response.body).toMatchObject({ format: 'yaml', warnings: [], errors: [], denied: false });
    expect(response.body.containers).toEqual([
      {
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        namespace: null,
        name: 'web',
        container: 'web',
        containerType: 'containers',
        path: 'spec.template.spec.containers[0]',
        document: 0,
        item: null,
        image: 'nginx:1.25',
        imagePullPolicy: 'IfNotPresent',
        podPullPolicy: 'IfNotPresent',
        defaulted: true,
        reason: 'TagNotLatest',
        imageValid: true,
        previous: null,
        warnings: [],
        errors: [],
        plugins: [
          { name: 'disallow-latest', verdict: 'allow', message: null, durationMs: expect.any(Number) },
          { name: 'always-pull', verdict: 'allow', message: null, durationMs: expect.any(Number) },
        ],
        denied: false,
        deniedBy: null,
        denyMessages: [],
        beforePlugins: null,
      },
    ]);
  });

  it('JSON body with an object and a list: the same form back; the plugin warning is on the container', async () => {
    const object = (await post('/v1/manifests/default', { manifests: pod }).expect(200)).body;
    expect(object.format).toBe('object');
    expect(object.manifests.spec.containers[0]).toEqual({ name: 'c', image: 'nginx', imagePullPolicy: 'Always' });
    expect(object.containers[0].warnings).toEqual(['disallow-latest: image "nginx" has no tag, so it runs the mutable "latest": pin a version tag or a digest']);
    const list = (await post('/v1/manifests/default', { manifests: [pod, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }] }).expect(200)).body;
    expect(list.format).toBe('list');
    expect(list.manifests[1]).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
  });

  it('raw YAML body: YAML back, warnings as Warning headers; Accept: application/json gets the report', async () => {
    const response = await post('/v1/manifests/default', yaml.replace('nginx:1.25', 'nginx'), 'application/yaml').expect(200);
    expect(response.headers['content-type']).toBe('application/yaml; charset=utf-8');
    expect(response.text).toBe(yaml.replace('nginx:1.25 # pinned\n', 'nginx # pinned\n        imagePullPolicy: Always\n'));
    expect(response.headers['x-container-count']).toBe('1');
    expect(response.headers['x-denied-container-count']).toBeUndefined();
    expect(String(response.headers.warning)).toContain('299 - "Deployment web spec.template.spec.containers[0]: disallow-latest: image \\"nginx\\" has no tag');
    const json = await post('/v1/manifests/default?alwaysPullImages=true&namespace=team', yaml, 'text/yaml').set('accept', 'application/json').expect(200);
    expect(json.body).toMatchObject({ format: 'yaml', denied: false, containers: [{ podPullPolicy: 'Always', imagePullPolicy: 'IfNotPresent' }] });
  });

  it('an empty raw YAML body has no objects', async () => {
    const response = await post('/v1/manifests/default', '', 'application/yaml').set('accept', 'application/json');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ containers: [], warnings: ['no Kubernetes objects found'] });
  });

  it.each([
    ['no manifests', {}, 'InvalidRequest', 'manifests is required'],
    ['manifests of the wrong type', { manifests: 5 }, 'InvalidRequest', 'manifests must be YAML or JSON text, a Kubernetes object or a list of objects'],
    ['manifests true', { manifests: true }, 'InvalidRequest', 'manifests must be YAML or JSON text, a Kubernetes object or a list of objects'],
    ['previous of the wrong type', { manifests: 'a: 1', previous: 7 }, 'InvalidRequest', 'previous must be YAML or JSON text, a Kubernetes object or a list of objects'],
    ['alwaysPullImages as a string', { manifests: 'a: 1', alwaysPullImages: 'yes' }, 'InvalidRequest', 'alwaysPullImages must be a boolean'],
    ['an unknown update mode', { manifests: 'a: 1', update: 'merge' }, 'InvalidRequest', 'update must be one of apply, replace'],
    ['namespace of the wrong type', { manifests: 'a: 1', namespace: 5 }, 'InvalidRequest', 'namespace must be a string'],
    ['an unknown field', { manifests: 'a: 1', node: {} }, 'InvalidRequest', 'property node should not exist'],
    ['malformed YAML text', { manifests: 'kind: Pod\nspec: [1,\n' }, 'InvalidManifest', /^manifests: malformed YAML at line 3, column 1: /],
    ['duplicate keys', { manifests: 'kind: Pod\nkind: Job\n' }, 'InvalidManifest', 'manifests: malformed YAML at line 2, column 1: Map keys must be unique'],
    ['malformed JSON text', { manifests: '{"kind": "Pod",' }, 'InvalidManifest', /^manifests: malformed YAML at line 1, column \d+/],
    ['malformed previous', { manifests: 'a: 1', previous: 'a: [' }, 'InvalidManifest', /^previous: malformed YAML at line \d+, column \d+/],
    ['a bad document among many', { manifests: 'a: 1\n---\nb: [1, 2\n' }, 'InvalidManifest', /line \d+, column \d+ \(document 2\)/],
    ['malformed JSON body', '{"manifests": ', 'InvalidRequest', /not valid JSON/],
    ['a JSON list body', '[]', 'InvalidRequest', 'Request body must be a JSON object'],
  ])('%s → 400', async (_case, body, code, message) => {
    await expectBadRequest('/v1/manifests/default', body, code, message);
  });

  it.each([
    ['malformed YAML', '', 'kind: Pod\nspec: [1,\n', 'InvalidManifest', /^manifests: malformed YAML at line 3, column 1: /],
    ['a tab for indentation', '', 'kind: Pod\nspec:\n\tcontainers: []\n', 'InvalidManifest', /^manifests: malformed YAML at line 3, column 1/],
    ['an unknown query parameter', '?update=replace', 'a: 1\n', 'InvalidRequest', 'query parameter update is not supported (only alwaysPullImages, namespace, kubernetesVersion, featureGates)'],
    ['alwaysPullImages not a boolean', '?alwaysPullImages=yes', 'a: 1\n', 'InvalidRequest', 'alwaysPullImages must be true or false'],
    ['namespace empty', '?namespace=', 'a: 1\n', 'InvalidRequest', 'namespace must be given once, as 1 to 253 characters'],
    ['namespace twice', '?namespace=a&namespace=b', 'a: 1\n', 'InvalidRequest', 'namespace must be given once, as 1 to 253 characters'],
  ])('raw YAML: %s → 400', async (_case, query, body, code, message) => {
    await expectBadRequest(`/v1/manifests/default${query}`, body, code, message, 'application/yaml');
  });

  it('GraphQL defaultManifests: errors with the same codes', async () => {
    expect(await graphqlError('{ defaultManifests(manifests: "a: [") { format } }')).toMatchObject({ code: 'InvalidManifest', message: expect.stringMatching(/^manifests: malformed YAML at line \d+, column \d+/) });
    expect(await graphqlError('{ defaultManifests(manifests: 5) { format } }')).toMatchObject({ code: 'InvalidRequest' });
    expect(await graphqlError('{ defaultManifests(manifests: "a: 1", update: merge) { format } }')).toMatchObject({ code: 'InvalidRequest', message: expect.stringContaining('merge') });
    expect(await graphqlError('{ defaultManifests(manifests: "a: 1", namespace: 3) { format } }')).toMatchObject({ code: 'InvalidRequest' });
  });
});

describe('POST /v1/pull-decisions', () => {
  it('answers the contract shape, with the bundled plugins\' verdicts', async () => {
    const response = await post('/v1/pull-decisions', { image: 'nginx:1.25', registry: SIMULATED, context: { namespace: 'prod' } }).expect(200);
    expect(response.body).toMatchObject({
      image: 'nginx:1.25',
      imagePullPolicy: 'IfNotPresent',
      policySource: 'defaulted',
      action: 'Pull',
      reason: 'ImageNotPresent',
      pullReference: `docker.io/library/nginx@${D}`,
      resolvedDigest: D,
      localDigest: null,
      credentialVerification: { required: false },
      plugins: [
        { name: 'disallow-latest', verdict: 'allow', message: null, durationMs: expect.any(Number) },
        { name: 'always-pull', verdict: 'allow', message: null, durationMs: expect.any(Number) },
      ],
      warnings: [],
    });
  });

  it('an image on the node with IfNotPresent is used without asking the registry', async () => {
    const response = await post('/v1/pull-decisions', { image: 'nginx:1.25', node: { images: [{ references: ['docker.io/library/nginx:1.25'], digest: D }] } }).expect(200);
    expect(response.body).toMatchObject({ action: 'UseLocal', localDigest: D, registry: { consulted: false } });
  });

  it.each([
    ['no image', {}, 'InvalidRequest', 'image is required'],
    ['image of the wrong type', { image: 5 }, 'InvalidRequest', 'image must be a string'],
    ['image too long', { image: 'a'.repeat(5000) }, 'InvalidRequest', /image must NOT have more than 4096 characters|image .*4096/],
    ['an unsupported imagePullPolicy', { image: 'nginx', imagePullPolicy: 'Sometimes', registry: SIMULATED }, 'InvalidPullPolicy', /^imagePullPolicy: Unsupported value: "Sometimes"/],
    ['alwaysPullImages as a string', { image: 'nginx', alwaysPullImages: 'true' }, 'InvalidRequest', 'alwaysPullImages must be a boolean'],
    ['an unknown field', { image: 'nginx', namespace: 'prod' }, 'InvalidRequest', 'property namespace should not exist'],
    ['node.images not a list', { image: 'nginx', node: { images: {} } }, 'InvalidRequest', 'node.images must be an array'],
    ['references not a list', { image: 'nginx', node: { images: [{ references: 'nginx' }] } }, 'InvalidRequest', 'node.images[0].references must be an array'],
    ['an unknown pulledBy', { image: 'nginx', node: { images: [{ references: ['nginx'], pulledBy: 'me' }] } }, 'InvalidRequest', /node\.images\[0\]\.pulledBy/],
    ['an unknown field in a node image', { image: 'nginx', node: { images: [{ references: ['nginx'], size: 1 }] } }, 'InvalidRequest', /size/],
    ['pod.namespace of the wrong type', { image: 'nginx', pod: { namespace: 3 } }, 'InvalidRequest', 'pod.namespace must be a string'],
    ['a secret without a name', { image: 'nginx', pod: { imagePullSecrets: [{ namespace: 'a' }] } }, 'InvalidRequest', /pod\.imagePullSecrets\[0\].*name/],
    ['registry.available as a string', { image: 'nginx', registry: { available: 'yes' } }, 'InvalidRequest', 'registry.available must be a boolean'],
    ['context not an object', { image: 'nginx', context: [] }, 'InvalidRequest', 'context must be an object'],
    ['an unknown credential verification policy', { image: 'nginx', node: { credentialVerification: { enabled: true, policy: 'Sometimes' } } }, 'InvalidRequest', /Sometimes/],
    ['an allowlist without its policy', { image: 'nginx', node: { credentialVerification: { enabled: true, allowlist: ['nginx'] } } }, 'InvalidRequest', /allowlist/],
    ['a JSON list', [{ image: 'nginx' }], 'InvalidRequest', 'Request body must be a JSON object'],
    ['malformed JSON', '{"image": ', 'InvalidRequest', /not valid JSON/],
    ['a YAML body', 'image: nginx\n', 'InvalidRequest', /JSON/],
  ])('%s → 400', async (_case, body, code, message) => {
    await expectBadRequest('/v1/pull-decisions', body, code, message, _case === 'a YAML body' ? 'application/yaml' : undefined);
  });

  it('GraphQL pullDecision: errors with the same codes', async () => {
    expect(await graphqlError('{ pullDecision(input: {image: 5}) { action } }')).toMatchObject({ code: 'InvalidRequest' });
    expect(await graphqlError('{ pullDecision(input: {image: "nginx", bogus: true}) { action } }')).toMatchObject({ code: 'InvalidRequest', message: expect.stringContaining('bogus') });
    expect(await graphqlError('{ pullDecision(input: {image: "nginx", imagePullPolicy: "always", registry: {available: true}}) { action } }')).toMatchObject({ code: 'InvalidPullPolicy' });
  });
});

// Issue 12, item 4: the kubelet releases decisions model, and what an absent node.kubeletVersion means.
describe('GET /v1/version', () => {
  it('names the supported kubelet releases, the default and each release\'s gate defaults (kube_features.go)', async () => {
    const response = await http.get('/v1/version').expect(200);
    expect(response.body.kubelet).toMatchObject({ default: '1.37', supported: ['1.33', '1.34', '1.35', '1.36', '1.37'] });
    const gates = Object.fromEntries(response.body.kubelet.releases.map((release: { version: string; featureGates: Record<string, { enabled: boolean; stage: string }> }) => [
      release.version,
      `${release.featureGates.KubeletEnsureSecretPulledImages.stage}/${release.featureGates.KubeletEnsureSecretPulledImages.enabled} ${release.featureGates.ImageVolume.stage}/${release.featureGates.ImageVolume.enabled}`,
    ]));
    expect(gates).toEqual({ '1.33': 'alpha/false beta/false', '1.34': 'alpha/false beta/false', '1.35': 'beta/true beta/true', '1.36': 'beta/true GA/true', '1.37': 'beta/true GA/true' });
    // The default is what a decision without node.kubeletVersion reports.
    const decision = await post('/v1/pull-decisions', { image: 'nginx:1.25', registry: SIMULATED }).expect(200);
    expect(decision.body.kubelet).toMatchObject({ version: response.body.kubelet.default, assumed: true });
  });

  it('node.kubeletVersion out of range or malformed is a 400 naming the field and the range (REST and GraphQL)', async () => {
    await expectBadRequest('/v1/pull-decisions', { image: 'nginx', node: { kubeletVersion: '1.38' }, registry: SIMULATED }, 'InvalidRequest', /^node\.kubeletVersion must be one of 1\.33, 1\.34, 1\.35, 1\.36, 1\.37 .*got "1\.38"/);
    await expectBadRequest('/v1/pull-decisions', { image: 'nginx', node: { kubeletVersion: 35 } }, 'InvalidRequest', 'node.kubeletVersion must be a string');
    expect(await graphqlError('{ pullDecision(input: {image: "nginx", node: {kubeletVersion: "v2"}, registry: {available: true}}) { action } }')).toMatchObject({ code: 'InvalidRequest', message: expect.stringContaining('node.kubeletVersion must be one of') });
  });
});

// Issue 12, item 3: AlwaysPullImages is mutating admission and runs before validation
// (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go: mutatingAdmission.Admit, then r.Create → the
// strategy's Validate; plugin/pkg/admission/alwayspullimages/admission.go Admit sets Always on every container).
// A Pod with `"imagePullPolicy": "always"` is created with Always under the plugin and rejected without it:
// every route and its GraphQL twin say the same.
describe('AlwaysPullImages with a value validation rejects: every route agrees', () => {
  const pod = (policy: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: "nginx:1.25", imagePullPolicy: ${policy}}\n`;

  it.each(['always', 'Sometimes'])('%j with alwaysPullImages: Always everywhere', async (value) => {
    const defaulted = await post('/v1/pull-policy/default', { image: 'nginx:1.25', imagePullPolicy: value, alwaysPullImages: true }).expect(200);
    expect(defaulted.body).toMatchObject({ imagePullPolicy: 'Always', reason: 'AlwaysPullImages' });
    expect(defaulted.body.warnings.join('\n')).toContain('before validation');

    const decided = await post('/v1/pull-decisions', { image: 'nginx:1.25', imagePullPolicy: value, alwaysPullImages: true, registry: SIMULATED }).expect(200);
    expect(decided.body).toMatchObject({ imagePullPolicy: 'Always', policySource: 'alwaysPullImages', action: 'Pull', reason: 'PullPolicyAlways' });

    const manifests = await post('/v1/manifests/default', { manifests: pod(value), alwaysPullImages: true }).expect(200);
    expect(manifests.body.containers[0]).toMatchObject({ imagePullPolicy: 'Always', reason: 'AlwaysPullImages' });
    expect(manifests.body.errors).toEqual([]);

    const graphql = await http
      .post('/graphql')
      .send({
        query: `{ defaultPullPolicy(image: "nginx:1.25", imagePullPolicy: "${value}", alwaysPullImages: true) { imagePullPolicy reason }
                  pullDecision(input: {image: "nginx:1.25", imagePullPolicy: "${value}", alwaysPullImages: true, registry: {digest: "${D}"}}) { imagePullPolicy policySource action } }`,
      })
      .expect(200);
    expect(graphql.body.errors).toBeUndefined();
    expect(graphql.body.data).toEqual({
      defaultPullPolicy: { imagePullPolicy: 'Always', reason: 'AlwaysPullImages' },
      pullDecision: { imagePullPolicy: 'Always', policySource: 'alwaysPullImages', action: 'Pull' },
    });
  });

  it('without the plugin the same value is rejected everywhere', async () => {
    await expectBadRequest('/v1/pull-policy/default', { image: 'nginx:1.25', imagePullPolicy: 'always', alwaysPullImages: false }, 'InvalidPullPolicy', /^imagePullPolicy: Unsupported value: "always"/);
    await expectBadRequest('/v1/pull-decisions', { image: 'nginx:1.25', imagePullPolicy: 'always', registry: SIMULATED }, 'InvalidPullPolicy', /^imagePullPolicy: Unsupported value: "always"/);
    const manifests = await post('/v1/manifests/default', { manifests: pod('always') }).expect(200);
    expect(manifests.body.errors.join('\n')).toContain('spec.containers[0].imagePullPolicy: Unsupported value: "always"');
    expect(await graphqlError('{ defaultPullPolicy(image: "nginx:1.25", imagePullPolicy: "always", alwaysPullImages: false) { imagePullPolicy } }')).toMatchObject({ code: 'InvalidPullPolicy' });
  });
});

describe('never a 500', () => {
  const bodies = [
    '42',
    'true',
    '"text"',
    '[]',
    '{',
    '{"image": {"$ne": 1}}',
    '{"__proto__": {"polluted": true}, "image": "nginx"}',
    '{"constructor": {"prototype": {"polluted": true}}, "image": "nginx"}',
    `{"image": "nginx", "context": ${'{"a":'.repeat(200)}1${'}'.repeat(200)}}`,
    `{"manifests": ${'['.repeat(500)}${']'.repeat(500)}}`,
    '{"manifests": "a: &a [*a]"}',
    `{"manifests": ${JSON.stringify(`a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`).join('\n')}`)}}`,
    '{"image": "\\u0000nginx"}',
    '{"image": "nginx", "imagePullPolicy": null, "node": null}',
  ];

  it.each(['/v1/pull-policy/default', '/v1/manifests/default', '/v1/pull-decisions'])('%s answers garbage with 400 (or 200 when it is a valid question)', async (url) => {
    for (const body of bodies) {
      const response = await post(url, body);
      expect(response.status, `${url} ${body.slice(0, 60)}: ${JSON.stringify(response.body)}`).toBeLessThan(500);
      if (response.status !== 200) {
        expect(response.status).toBe(400);
        expect(response.body.error).toEqual({ code: expect.any(String), message: expect.any(String) });
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
