/**
 * Image volumes (`volumes[].image`, KEP-4639) end to end on the whole service: POST /v1/manifests/default
 * (JSON report, raw YAML edited in place with Warning headers), GraphQL defaultManifests, POST
 * /v1/pull-decisions/manifests and GraphQL manifestPullDecisions, and the admission webhook's JSONPatch at
 * /…/volumes/N/image. The API server's release (`kubernetesVersion`) and `featureGates` decide whether the
 * volume exists and is defaulted (ImageVolume gate: alpha off 1.31, beta off 1.33, beta on 1.35, GA locked on 1.36).
 *
 * The rule plugins are test/fixtures/admission-plugins (deny-forbidden, mirror of Docker Hub, warn-latest,
 * prod-always, slow): they judge image volumes as they judge containers.
 */
import { fileURLToPath } from 'node:url';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from './support/app.js';

const PLUGINS_DIR = fileURLToPath(new URL('./fixtures/admission-plugins', import.meta.url));
const HEX = 'e'.repeat(64);
const D1 = `sha256:${'1'.repeat(64)}`;
type Json = Record<string, any>;

let app: NestFastifyApplication;
let http: ReturnType<typeof request>;

beforeAll(async () => {
  app = await startTestApp({ PLUGINS_DIR });
  http = request(app.getHttpServer());
});
afterAll(async () => app?.close());

const post = (url: string, body: unknown, contentType = 'application/json') =>
  http
    .post(url)
    .set('content-type', contentType)
    .send(typeof body === 'string' ? body : JSON.stringify(body));

async function graphql(query: string, variables?: Json): Promise<Json> {
  const response = await http.post('/graphql').send({ query, variables });
  expect(response.status).toBeLessThan(500);
  return response.body;
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: inference # serves the model
  namespace: ml
spec:
  template:
    spec:
      containers:
      - name: server
        image: quay.io/org/server:2.1
        imagePullPolicy: IfNotPresent
        volumeMounts:
        - name: weights
          mountPath: /weights
      volumes:
      - name: weights # 4 GB, mounted read-only
        image:
          reference: quay.io/org/weights:latest # moves weekly
      - name: cache
        emptyDir: {}
`;
const DEFAULTED = DEPLOYMENT.replace('reference: quay.io/org/weights:latest # moves weekly\n', 'reference: quay.io/org/weights:latest # moves weekly\n          pullPolicy: Always\n');

const PLUGIN_VERDICTS = [
  { name: 'deny-forbidden', verdict: 'allow', message: null, durationMs: expect.any(Number) },
  { name: 'mirror', verdict: 'allow', message: null, durationMs: expect.any(Number) },
  { name: 'warn-latest', verdict: 'warn', message: 'uses a mutable tag', durationMs: expect.any(Number) },
  { name: 'prod-always', verdict: 'allow', message: null, durationMs: expect.any(Number) },
  { name: 'slow', verdict: 'allow', message: null, durationMs: expect.any(Number) },
];

describe('POST /v1/manifests/default: JSON body', () => {
  it('defaults the volume\'s pullPolicy in the YAML text and reports it as an imageVolume entry (default release 1.35: gate on)', async () => {
    const response = await post('/v1/manifests/default', { manifests: DEPLOYMENT }).expect(200);
    expect(response.body.manifests).toBe(DEFAULTED);
    expect(response.body).toMatchObject({ format: 'yaml', errors: [], denied: false });
    expect(response.body.containers.map((c: Json) => c.containerType)).toEqual(['containers', 'imageVolume']);
    expect(response.body.containers[1]).toEqual({
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      namespace: 'ml',
      name: 'inference',
      container: null,
      containerType: 'imageVolume',
      volume: 'weights',
      mountedBy: ['server'],
      path: 'spec.template.spec.volumes[0]',
      document: 0,
      item: null,
      image: 'quay.io/org/weights:latest',
      imagePullPolicy: 'Always',
      podPullPolicy: 'Always',
      defaulted: true,
      reason: 'TagLatest',
      imageValid: true,
      previous: null,
      warnings: ['warn-latest: uses a mutable tag'],
      errors: [],
      plugins: PLUGIN_VERDICTS,
      denied: false,
      deniedBy: null,
      denyMessages: [],
      beforePlugins: null,
    });
    // The container's entry keeps its shape (no volume fields).
    expect(Object.keys(response.body.containers[0])).not.toContain('volume');
  });

  it('a 1.34 API server (gate off by default) drops the volume: nothing defaulted, a warning says why', async () => {
    const response = await post('/v1/manifests/default', { manifests: DEPLOYMENT, kubernetesVersion: 'v1.34.2' }).expect(200);
    expect(response.body.manifests).toBe(DEPLOYMENT);
    expect(response.body.containers.map((c: Json) => c.containerType)).toEqual(['containers']);
    expect(response.body.warnings).toEqual([expect.stringContaining('the ImageVolume feature gate is off in Kubernetes 1.34 (beta, off by default; on by default from 1.35), so the API server drops the volume')]);
  });

  it('a 1.33 API server with featureGates {ImageVolume: true} defaults it; a 1.30 one refuses the unknown field', async () => {
    const on = await post('/v1/manifests/default', { manifests: DEPLOYMENT, kubernetesVersion: '1.33', featureGates: { ImageVolume: true } }).expect(200);
    expect(on.body.manifests).toBe(DEFAULTED);
    const old = await post('/v1/manifests/default', { manifests: DEPLOYMENT, kubernetesVersion: '1.30' }).expect(200);
    expect(old.body.errors).toEqual(['Deployment ml/inference: strict decoding error: unknown field "spec.template.spec.volumes[0].image"']);
  });

  it('the plugins judge volumes too: a Docker Hub reference is mirrored in place, prod forces Always, a forbidden one is denied', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'prod' },
      spec: {
        containers: [{ name: 'app', image: 'quay.io/org/app:1', imagePullPolicy: 'IfNotPresent', volumeMounts: [{ name: 'tools', mountPath: '/tools' }] }],
        volumes: [
          { name: 'tools', image: { reference: 'busybox:1.36' } },
          { name: 'bad', image: { reference: 'quay.io/org/forbidden:1', pullPolicy: 'IfNotPresent' } },
        ],
      },
    };
    const response = await post('/v1/manifests/default', { manifests: pod }).expect(200);
    expect(response.body.manifests.spec.volumes).toEqual([
      { name: 'tools', image: { reference: 'mirror.example.com/dockerhub/library/busybox:1.36', pullPolicy: 'Always' } },
      { name: 'bad', image: { reference: 'quay.io/org/forbidden:1', pullPolicy: 'IfNotPresent' } }, // the deny stops the run: prod-always never sees it
    ]);
    const [, tools, bad] = response.body.containers;
    expect(tools).toMatchObject({ volume: 'tools', image: 'mirror.example.com/dockerhub/library/busybox:1.36', imagePullPolicy: 'Always', reason: 'Plugin', beforePlugins: { image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', reason: 'TagNotLatest' } });
    expect(bad).toMatchObject({ volume: 'bad', denied: true, deniedBy: 'deny-forbidden', denyMessages: ['deny-forbidden: images named forbidden are not allowed'] });
    expect(response.body.denied).toBe(true);
    expect(response.body.warnings).toEqual(['Pod prod/p spec.volumes[1]: denied by policy: deny-forbidden: images named forbidden are not allowed']);
  });

  it.each([
    [{ kubernetesVersion: '1.40' }, 'kubernetesVersion: "1.40" is not a modelled Kubernetes release (1.29 to 1.37)'],
    [{ kubernetesVersion: 135 }, 'kubernetesVersion must be a string'],
    [{ featureGates: { ImageVolumes: true } }, 'featureGates.ImageVolumes is not a modelled feature gate (only ImageVolume)'],
    [{ featureGates: { ImageVolume: 'on' } }, 'featureGates.ImageVolume must be a boolean'],
    [{ kubernetesVersion: '1.30', featureGates: { ImageVolume: true } }, 'featureGates.ImageVolume: Kubernetes 1.30 has no ImageVolume feature gate (alpha from 1.31)'],
  ])('400 InvalidRequest for %j', async (extra, message) => {
    const response = await post('/v1/manifests/default', { manifests: DEPLOYMENT, ...extra }).expect(400);
    expect(response.body).toEqual({ error: { code: 'InvalidRequest', message } });
  });
});

describe('POST /v1/manifests/default: raw YAML body', () => {
  it('answers the YAML edited in place, counting the volume', async () => {
    const response = await post('/v1/manifests/default', DEPLOYMENT, 'application/yaml').expect(200);
    expect(response.text).toBe(DEFAULTED);
    expect(response.headers['x-container-count']).toBe('2');
    expect(response.headers.warning).toContain('Deployment ml/inference spec.template.spec.volumes[0]: warn-latest: uses a mutable tag');
  });

  it('kubernetesVersion and featureGates (the --feature-gates form) as query parameters', async () => {
    const off = await post('/v1/manifests/default?kubernetesVersion=1.33', DEPLOYMENT, 'application/yaml').expect(200);
    expect(off.text).toBe(DEPLOYMENT);
    expect(off.headers['x-container-count']).toBe('1');
    expect(off.headers.warning).toContain('the ImageVolume feature gate is off in Kubernetes 1.33');
    const on = await post('/v1/manifests/default?kubernetesVersion=1.33&featureGates=ImageVolume=true', DEPLOYMENT, 'application/yaml').expect(200);
    expect(on.text).toBe(DEFAULTED);
  });

  it.each([
    ['?kubernetesVersion=1.9', 'kubernetesVersion: "1.9" is not a modelled Kubernetes release (1.29 to 1.37)'],
    ['?featureGates=ImageVolume', 'featureGates must be Name=true|false pairs separated by commas, such as ImageVolume=true'],
    ['?featureGates=Foo=true', 'featureGates.Foo is not a modelled feature gate (only ImageVolume)'],
  ])('400 for %s', async (query, message) => {
    const response = await post(`/v1/manifests/default${query}`, DEPLOYMENT, 'application/yaml').expect(400);
    expect(response.body).toEqual({ error: { code: 'InvalidRequest', message } });
  });
});

describe('GraphQL defaultManifests', () => {
  const QUERY = 'query ($m: String!, $v: String, $g: FeatureGatesInput) { defaultManifests(manifests: $m, kubernetesVersion: $v, featureGates: $g) { manifests warnings containers { containerType container volume mountedBy path image imagePullPolicy reason } } }';

  it('reports the volume with the same fields', async () => {
    const body = await graphql(QUERY, { m: DEPLOYMENT });
    expect(body.errors).toBeUndefined();
    expect(body.data.defaultManifests.manifests).toBe(DEFAULTED);
    expect(body.data.defaultManifests.containers).toEqual([
      { containerType: 'containers', container: 'server', volume: null, mountedBy: null, path: 'spec.template.spec.containers[0]', image: 'quay.io/org/server:2.1', imagePullPolicy: 'IfNotPresent', reason: 'Specified' },
      { containerType: 'imageVolume', container: null, volume: 'weights', mountedBy: ['server'], path: 'spec.template.spec.volumes[0]', image: 'quay.io/org/weights:latest', imagePullPolicy: 'Always', reason: 'TagLatest' },
    ]);
  });

  it('kubernetesVersion and featureGates; a bad version is an InvalidRequest error', async () => {
    const off = await graphql(QUERY, { m: DEPLOYMENT, v: '1.32' });
    expect(off.data.defaultManifests.containers).toHaveLength(1);
    const on = await graphql(QUERY, { m: DEPLOYMENT, v: '1.32', g: { ImageVolume: true } });
    expect(on.data.defaultManifests.containers).toHaveLength(2);
    const bad = await graphql(QUERY, { m: DEPLOYMENT, v: '1.2' });
    expect(bad.errors[0]).toMatchObject({ message: 'kubernetesVersion: "1.2" is not a modelled Kubernetes release (1.29 to 1.37)', extensions: { code: 'InvalidRequest' } });
  });
});

describe('POST /v1/pull-decisions/manifests', () => {
  const POD = `apiVersion: v1
kind: Pod
metadata: {name: job, namespace: ml}
spec:
  containers:
  - name: worker
    image: quay.io/org/worker:3
    volumeMounts: [{name: data, mountPath: /data}]
  - name: sidecar
    image: quay.io/org/sidecar:1
  volumes:
  - name: data
    image: {reference: "quay.io/org/dataset:2024", pullPolicy: Never}
  - name: tools
    image: {reference: "quay.io/org/tools@sha256:${HEX}"}
`;
  const node = { images: [{ references: ['quay.io/org/worker:3'], digest: D1 }, { references: [`quay.io/org/tools@sha256:${HEX}`] }] };

  it('each image volume gets the kubelet\'s decision, with its event texts; a container that mounts a failing volume says it cannot start', async () => {
    const response = await post('/v1/pull-decisions/manifests', { manifests: POD, node, registry: { exists: true, digest: D1 } }).expect(200);
    const results = response.body.results as Json[];
    expect(results.map((r) => [r.containerType, r.container ?? r.volume, r.decision.imagePullPolicy, r.decision.policySource, r.decision.action, r.decision.reason])).toEqual([
      ['containers', 'worker', 'IfNotPresent', 'defaulted', 'UseLocal', 'ImagePresent'],
      ['containers', 'sidecar', 'IfNotPresent', 'defaulted', 'Pull', 'ImageNotPresent'],
      ['imageVolume', 'data', 'Never', 'given', 'Fail', 'ErrImageNeverPull'],
      ['imageVolume', 'tools', 'IfNotPresent', 'defaulted', 'UseLocal', 'ImagePresent'],
    ]);
    const [worker, sidecar, data, tools] = results;
    expect(data).toMatchObject({ volume: 'data', mountedBy: ['worker'], path: 'spec.volumes[0]' });
    // image_manager.go's texts are the same for volumes (EnsureImageExists is shared).
    expect(data.decision.message).toBe('Container image "quay.io/org/dataset:2024" is not present with pull policy of Never');
    expect(tools.decision.message).toMatch(new RegExp(`^Container image "quay\\.io/org/tools@sha256:${HEX}" already present on machine`));
    expect(data.decision.warnings.at(-1)).toMatch(/^an image volume is pulled by the kubelet once per pod, before any container starts .*its events are recorded on the Pod, not on a container; a failure here fails the start of "worker"/);
    expect(tools.decision.warnings.at(-1)).toContain('no container mounts it, so a failure of this pull blocks no container');
    expect(worker.decision.warnings).toContain(
      'the image volume "data" it mounts fails (ErrImageNeverPull: Container image "quay.io/org/dataset:2024" is not present with pull policy of Never): the kubelet does not start this container ' +
        '(kuberuntime_manager.go toKubeContainerImageVolumes: Warning Failed "Error: ErrImageNeverPull", waiting reason ErrImageNeverPull), whatever its own image does',
    );
    expect(sidecar.decision.warnings.join('\n')).not.toContain('image volume');
    expect(Object.keys(worker)).not.toContain('volume');
  });

  it('AlwaysPullImages leaves the volume\'s policy: it uses the local image while the containers pull', async () => {
    const response = await post('/v1/pull-decisions/manifests', { manifests: POD, node, alwaysPullImages: true, registry: { exists: true, digest: D1 } }).expect(200);
    const tools = response.body.results[3];
    expect(tools.decision).toMatchObject({ imagePullPolicy: 'IfNotPresent', policySource: 'defaulted', action: 'UseLocal' });
    expect(response.body.results[0].decision).toMatchObject({ imagePullPolicy: 'Always', policySource: 'alwaysPullImages' });
  });

  it('with the gate off (1.34) the volumes are not there: no decision for them', async () => {
    const response = await post('/v1/pull-decisions/manifests', { manifests: POD, node, kubernetesVersion: '1.34', registry: { exists: true } }).expect(200);
    expect(response.body.results.map((r: Json) => r.containerType)).toEqual(['containers', 'containers']);
    expect(response.body.warnings).toHaveLength(2);
  });

  it('version skew: a 1.35 API server stores the volume, a 1.34 kubelet (its gate off by default) never pulls it', async () => {
    const response = await post('/v1/pull-decisions/manifests', { manifests: POD, node: { ...node, kubeletVersion: '1.34' }, registry: { exists: true } }).expect(200);
    const data = response.body.results[2];
    expect(data.decision.kubelet).toMatchObject({ version: '1.34', featureGates: { ImageVolume: { enabled: false } } });
    expect(data.decision.warnings[0]).toBe(
      'the kubelet 1.34 has its ImageVolume feature gate off (beta, off by default): getImageVolumes (kuberuntime_manager.go) pulls no image volume, ' +
        'so this decision does not happen and the image is not mounted; turn the gate on in the kubelet, or run a 1.35 or newer kubelet',
    );
    // No pull, so no failure to pass on to the container that mounts it.
    expect(response.body.results[0].decision.warnings.join('\n')).not.toContain('image volume "data"');
  });

  it('400 for an unknown version or gate', async () => {
    expect((await post('/v1/pull-decisions/manifests', { manifests: POD, kubernetesVersion: '1.38' }).expect(400)).body.error).toEqual({
      code: 'InvalidRequest',
      message: 'kubernetesVersion: "1.38" is not a modelled Kubernetes release (1.29 to 1.37)',
    });
    expect((await post('/v1/pull-decisions/manifests', { manifests: POD, featureGates: { Other: true } }).expect(400)).body.error.code).toBe('InvalidRequest');
  });

  it('GraphQL manifestPullDecisions', async () => {
    const body = await graphql(
      'query ($m: String!) { manifestPullDecisions(manifests: $m, registry: { exists: false }) { results { containerType container volume mountedBy decision { action reason message } } } }',
      { m: POD },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.manifestPullDecisions.results.slice(2)).toEqual([
      { containerType: 'imageVolume', container: null, volume: 'data', mountedBy: ['worker'], decision: { action: 'Fail', reason: 'ErrImageNeverPull', message: 'Container image "quay.io/org/dataset:2024" is not present with pull policy of Never' } },
      { containerType: 'imageVolume', container: null, volume: 'tools', mountedBy: [], decision: expect.objectContaining({ action: 'Fail', reason: 'ErrImagePull' }) },
    ]);
  });
});

describe('the admission webhook: image volumes go through the plugins and the defaulting patch', () => {
  function review(operation: string, object: Json, oldObject: Json | null = null, kind = { group: '', version: 'v1', kind: 'Pod' }): Json {
    return {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: `uid-${Math.random().toString(16).slice(2)}`,
        kind,
        resource: { group: kind.group, version: kind.version, resource: `${kind.kind.toLowerCase()}s` },
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        operation,
        userInfo: { username: 'dev' },
        object,
        oldObject,
      },
    };
  }
  async function mutate(body: Json): Promise<{ allowed: boolean; ops: Json[]; warnings?: string[]; status?: Json }> {
    const answer = (await http.post('/v1/admission/mutate').send(body).expect(200)).body.response;
    return { ...answer, ops: answer.patch === undefined ? [] : JSON.parse(Buffer.from(answer.patch, 'base64').toString('utf8')) };
  }
  const pod = (namespace: string, volumes: Json[]): Json => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace },
    spec: { containers: [{ name: 'app', image: 'quay.io/org/app:1', imagePullPolicy: 'IfNotPresent' }], volumes: [{ name: 'cache', emptyDir: {} }, ...volumes] },
  });

  it('Pod CREATE: defaulting at /spec/volumes/N/image/pullPolicy, a mirror rewrite of the reference, a warning naming the volume', async () => {
    const answer = await mutate(review('CREATE', pod('dev', [{ name: 'tools', image: { reference: 'busybox' } }, { name: 'data', image: { reference: 'quay.io/org/data:1' } }])));
    expect(answer.allowed).toBe(true);
    expect(answer.ops).toEqual([
      { op: 'replace', path: '/spec/volumes/1/image/reference', value: 'mirror.example.com/dockerhub/library/busybox' },
      { op: 'add', path: '/spec/volumes/1/image/pullPolicy', value: 'Always' },
      { op: 'add', path: '/spec/volumes/2/image/pullPolicy', value: 'IfNotPresent' },
    ]);
    expect(answer.warnings).toEqual(['image volume "tools" (image busybox): warn-latest: uses a mutable tag']);
  });

  it('a Deployment in prod: the pointer goes through the template; prod-always replaces a given policy', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'prod' },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'quay.io/org/app:1', imagePullPolicy: 'Always' }], volumes: [{ name: 'data', image: { reference: 'quay.io/org/data:1', pullPolicy: 'IfNotPresent' } }] } } },
    };
    const answer = await mutate(review('CREATE', deployment, null, { group: 'apps', version: 'v1', kind: 'Deployment' }));
    expect(answer.ops).toEqual([{ op: 'replace', path: '/spec/template/spec/volumes/0/image/pullPolicy', value: 'Always' }]);
  });

  it('a forbidden volume reference is denied, naming the volume', async () => {
    const answer = await mutate(review('CREATE', pod('dev', [{ name: 'x', image: { reference: 'quay.io/org/forbidden:1', pullPolicy: 'IfNotPresent' } }])));
    expect(answer.allowed).toBe(false);
    expect(answer.status).toMatchObject({ code: 403, message: 'image policy denied Pod p: image volume "x" (image quay.io/org/forbidden:1): deny-forbidden: images named forbidden are not allowed' });
  });

  it('UPDATE: a volume whose reference the old object had is not judged again', async () => {
    const before = pod('dev', [{ name: 'data', image: { reference: 'quay.io/org/data:1', pullPolicy: 'IfNotPresent' } }]);
    const after = pod('dev', [{ name: 'data', image: { reference: 'quay.io/org/data:1', pullPolicy: 'IfNotPresent' } }, { name: 'new', image: { reference: 'quay.io/org/new:1' } }]);
    const deployment = (spec: Json): Json => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'dev' }, spec: { template: { spec } } });
    const answer = await mutate(review('UPDATE', deployment(after.spec), deployment(before.spec), { group: 'apps', version: 'v1', kind: 'Deployment' }));
    expect(answer.ops).toEqual([{ op: 'add', path: '/spec/template/spec/volumes/2/image/pullPolicy', value: 'IfNotPresent' }]);
  });
});
