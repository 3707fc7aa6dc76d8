import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ApiError, ErrorCode } from '../common/errors.js';
import { type ContainerReport, defaultManifests, MAX_CONTAINERS, WORKLOAD_KINDS } from './manifests.js';

const HEX = 'b'.repeat(64);

function podSpec(image = 'nginx:1.25', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { containers: [{ name: 'app', image, ...extra }] };
}

/** A minimal object of each workload kind, with its pod spec at the right place. */
function workload(kind: string, spec: Record<string, unknown> = podSpec()): Record<string, unknown> {
  const apiVersion = { Pod: 'v1', PodTemplate: 'v1', ReplicationController: 'v1', Job: 'batch/v1', CronJob: 'batch/v1' }[kind] ?? 'apps/v1';
  const metadata = { name: kind.toLowerCase(), namespace: 'ns' };
  switch (kind) {
    case 'Pod':
      return { apiVersion, kind, metadata, spec };
    case 'PodTemplate':
      return { apiVersion, kind, metadata, template: { spec } };
    case 'CronJob':
      return { apiVersion, kind, metadata, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec } } } } };
    default:
      return { apiVersion, kind, metadata, spec: { template: { spec } } };
  }
}

const policyOf = (reports: ContainerReport[]): Array<string | null> => reports.map((report) => report.imagePullPolicy);

describe('every workload kind (section 1 "Which objects")', () => {
  const paths: Record<string, string> = {
    Pod: 'spec.containers[0]',
    PodTemplate: 'template.spec.containers[0]',
    ReplicationController: 'spec.template.spec.containers[0]',
    ReplicaSet: 'spec.template.spec.containers[0]',
    Deployment: 'spec.template.spec.containers[0]',
    StatefulSet: 'spec.template.spec.containers[0]',
    DaemonSet: 'spec.template.spec.containers[0]',
    Job: 'spec.template.spec.containers[0]',
    CronJob: 'spec.jobTemplate.spec.template.spec.containers[0]',
  };
  it('covers exactly the kinds of the facts note', () => {
    expect(Object.keys(WORKLOAD_KINDS).sort()).toEqual(Object.keys(paths).sort());
  });

  it.each(Object.entries(paths))('%s: defaults at %s', (kind, path) => {
    const result = defaultManifests({ manifests: workload(kind, podSpec('nginx')) });
    expect(result.containers).toHaveLength(1);
    expect(result.containers[0]).toMatchObject({ kind, name: kind.toLowerCase(), namespace: 'ns', container: 'app', path, imagePullPolicy: 'Always', defaulted: true, reason: 'NoTag' });
    const container = path.split(/[.[\]]+/).filter(Boolean).reduce<any>((node, key) => node[/^\d+$/.test(key) ? Number(key) : key], result.manifests);
    expect(container).toEqual({ name: 'app', image: 'nginx', imagePullPolicy: 'Always' });
  });

  it('visits init, regular and ephemeral containers in Kubernetes order', () => {
    const spec = {
      containers: [{ name: 'c', image: 'nginx:1.25' }],
      initContainers: [{ name: 'i', image: 'busybox' }],
      ephemeralContainers: [{ name: 'e', image: `busybox@sha256:${HEX}` }],
    };
    const result = defaultManifests({ manifests: workload('Deployment', spec) });
    expect(result.containers.map((c) => [c.containerType, c.container, c.imagePullPolicy])).toEqual([
      ['initContainers', 'i', 'Always'],
      ['containers', 'c', 'IfNotPresent'],
      ['ephemeralContainers', 'e', 'IfNotPresent'],
    ]);
    // ephemeral containers are not allowed in templates, and not on Pod create
    expect(result.containers[2].errors).toEqual(['spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template']);
    const pod = defaultManifests({ manifests: workload('Pod', spec) });
    expect(pod.containers[2].errors).toEqual(['spec.ephemeralContainers: Forbidden: cannot be set on create']);
    expect(pod.errors).toEqual(['Pod ns/pod: spec.ephemeralContainers: Forbidden: cannot be set on create']);
  });

  it('passes objects that are not workloads through untouched', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { image: 'nginx' } };
    const crd = { apiVersion: 'batch.volcano.sh/v1alpha1', kind: 'Job', metadata: { name: 'v' }, spec: { template: { spec: podSpec() } } };
    const result = defaultManifests({ manifests: [configMap, crd] });
    expect(result.manifests).toEqual([configMap, crd]);
    expect(result.containers).toEqual([]);
    expect(result.warnings).toEqual(['Job v: kind Job in batch.volcano.sh/v1alpha1 is not the Kubernetes workload; passed through untouched']);
  });

  it('keeps a given valid policy and reports an invalid one as the API does', () => {
    const spec = { containers: [{ name: 'a', image: 'nginx', imagePullPolicy: 'Never' }, { name: 'b', image: 'nginx', imagePullPolicy: 'always' }] };
    const result = defaultManifests({ manifests: workload('Deployment', spec) });
    expect(result.containers.map((c) => [c.imagePullPolicy, c.reason, c.defaulted])).toEqual([
      ['Never', 'Specified', false],
      ['always', 'Specified', false],
    ]);
    expect(result.containers[1].errors).toEqual([
      'spec.template.spec.containers[1].imagePullPolicy: Unsupported value: "always": supported values: "Always", "IfNotPresent", "Never" (values are case-sensitive: did you mean "Always"?)',
    ]);
  });
});

describe('images the API rejects or the kubelet cannot parse', () => {
  it('an empty or missing image is Required value (the default is still filled in)', () => {
    const spec = { containers: [{ name: 'a', image: '' }, { name: 'b' }] };
    const result = defaultManifests({ manifests: workload('Deployment', spec) });
    expect(result.containers.map((c) => c.errors)).toEqual([
      ['spec.template.spec.containers[0].image: Required value'],
      ['spec.template.spec.containers[1].image: Required value'],
    ]);
    expect(policyOf(result.containers)).toEqual(['IfNotPresent', 'IfNotPresent']);
  });

  it('white space around the image is rejected for Pods only', () => {
    const pod = defaultManifests({ manifests: workload('Pod', podSpec(' nginx')) });
    expect(pod.containers[0].errors).toEqual(['spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace']);
    const deployment = defaultManifests({ manifests: workload('Deployment', podSpec(' nginx')) });
    expect(deployment.containers[0].errors).toEqual([]);
    expect(deployment.containers[0].warnings.join('\n')).toContain('InvalidImageName');
  });

  it('an unparsable image defaults to IfNotPresent with the InvalidImageName warning', () => {
    const result = defaultManifests({ manifests: workload('Deployment', podSpec('Nginx:latest')) });
    expect(result.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', reason: 'InvalidImage', imageValid: false, errors: [] });
    expect(result.containers[0].warnings[0]).toContain('repository name (library/Nginx) must be lowercase');
  });
});

describe('forms: the answer has the form of the question', () => {
  it('an object stays an object and the caller\'s object is not changed', () => {
    const input = workload('Pod');
    const copy = structuredClone(input);
    const result = defaultManifests({ manifests: input });
    expect(input).toEqual(copy);
    expect(result.format).toBe('object');
    expect(Object.keys((result.manifests as any).spec.containers[0])).toEqual(['name', 'image', 'imagePullPolicy']);
  });

  it('a list stays a list, in order', () => {
    const result = defaultManifests({ manifests: [workload('Pod'), workload('Job')] });
    expect(result.format).toBe('list');
    expect((result.manifests as any[]).map((o) => o.kind)).toEqual(['Pod', 'Job']);
  });

  it('JSON text stays JSON text with its indentation', () => {
    const text = `${JSON.stringify(workload('Pod', podSpec('nginx')), null, 4)}\n`;
    const result = defaultManifests({ manifests: text });
    expect(result.format).toBe('json');
    expect(result.manifests).toBe(text.replace('"image": "nginx"', '"image": "nginx",\n                "imagePullPolicy": "Always"'));
    const compact = defaultManifests({ manifests: JSON.stringify([workload('Pod')]) });
    expect(compact.manifests).toBe(JSON.stringify([workload('Pod', podSpec('nginx:1.25', { imagePullPolicy: 'IfNotPresent' }))]));
  });

  it('List objects are walked item by item (also <Kind>List)', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [workload('Deployment'), workload('Pod', podSpec('nginx'))] };
    const result = defaultManifests({ manifests: list });
    expect(result.containers.map((c) => [c.kind, c.item, c.imagePullPolicy])).toEqual([
      ['Deployment', 0, 'IfNotPresent'],
      ['Pod', 1, 'Always'],
    ]);
    const deploymentList = { apiVersion: 'apps/v1', kind: 'DeploymentList', items: [workload('Deployment')] };
    expect(defaultManifests({ manifests: deploymentList }).containers).toHaveLength(1);
  });

  it('rejects input that is no manifest at all', () => {
    expect(() => defaultManifests({ manifests: 42 })).toThrow('manifests must be YAML or JSON text, a Kubernetes object or a list of objects');
  });
});

describe('YAML text round trip', () => {
  it.each([
    ['imagePullPolicy:   # set by the pipeline', 'imagePullPolicy:   IfNotPresent # set by the pipeline'],
    ['imagePullPolicy: # set', 'imagePullPolicy: IfNotPresent # set'],
    ['imagePullPolicy:', 'imagePullPolicy: IfNotPresent'],
  ])('fills an empty %j without swallowing a comment into the value', (line, expected) => {
    for (const anchor of ['', '&x ']) {
      // The anchor sends the text through the full YAML path as well as the fast one.
      const text = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${anchor}p\nspec:\n  containers:\n    - name: c\n      image: nginx:1.25\n      ${line}\n`;
      const result = defaultManifests({ manifests: text });
      expect(result.manifests).toBe(text.replace(line, expected));
      expect(parseAllDocuments(result.manifests as string)[0].toJS().spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    }
  });

  const text = `# Deployment of the web tier
apiVersion: apps/v1
kind: Deployment   # keep this comment
metadata:
  name: web
  namespace: prod
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: web}
    spec:
      # sidecars first
      initContainers:
      - {name: init, image: "busybox:1.36"}
      containers:
        - name: web
          image: 'nginx:1.25'   # pinned
          ports:
            - containerPort: 80
        - name: cache
          image: redis
          imagePullPolicy:
        - name: last
          image: >-
            ghcr.io/org/app:latest
---
# a config map passes through
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  image: nginx   # not a container
---
`;

  it('inserts only the new lines; every other byte is kept', () => {
    const result = defaultManifests({ manifests: text });
    expect(result.format).toBe('yaml');
    expect(result.manifests).toBe(
      text
        .replace('{name: init, image: "busybox:1.36"}', '{name: init, image: "busybox:1.36", imagePullPolicy: IfNotPresent}')
        .replace("image: 'nginx:1.25'   # pinned\n", "image: 'nginx:1.25'   # pinned\n          imagePullPolicy: IfNotPresent\n")
        .replace('imagePullPolicy:\n', 'imagePullPolicy: Always\n')
        .replace('ghcr.io/org/app:latest\n', 'ghcr.io/org/app:latest\n          imagePullPolicy: Always\n'),
    );
    expect(result.containers.map((c) => c.imagePullPolicy)).toEqual(['IfNotPresent', 'IfNotPresent', 'Always', 'Always']);
  });

  it('keeps CRLF line endings and a missing final newline', () => {
    const crlf = 'kind: Pod\r\napiVersion: v1\r\nmetadata:\r\n  name: p\r\nspec:\r\n  containers:\r\n  - name: a\r\n    image: nginx';
    const result = defaultManifests({ manifests: crlf });
    expect(result.manifests).toBe(`${crlf}\r\n    imagePullPolicy: Always`);
  });

  it('writes JSON-style keys into JSON-style flow mappings', () => {
    const flow = 'kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec: {"containers": [{"name": "a", "image": "nginx"}]}\n';
    expect(defaultManifests({ manifests: flow }).manifests).toBe(
      'kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec: {"containers": [{"name": "a", "image": "nginx", "imagePullPolicy": "Always"}]}\n',
    );
  });

  it('keeps the quoting of a replaced value', () => {
    const quoted = 'kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: nginx\n    imagePullPolicy: ""\n';
    expect(defaultManifests({ manifests: quoted }).manifests).toBe(quoted.replace('imagePullPolicy: ""', 'imagePullPolicy: "Always"'));
  });

  it('follows anchors and merge keys', () => {
    const anchored = `kind: Deployment
apiVersion: apps/v1
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - &base
        name: a
        image: nginx:1.25
      - <<: *base
        name: b
`;
    const result = defaultManifests({ manifests: anchored });
    expect(result.containers.map((c) => [c.container, c.image, c.imagePullPolicy])).toEqual([
      ['a', 'nginx:1.25', 'IfNotPresent'],
      ['b', 'nginx:1.25', 'IfNotPresent'],
    ]);
    const reparsed = parseAllDocuments(result.manifests as string, { version: '1.1', merge: true }) as any[];
    expect(reparsed[0].toJS().spec.template.spec.containers).toEqual([
      { name: 'a', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent' },
      { name: 'b', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent' },
    ]);
  });

  it('reads YAML as kubectl does (YAML 1.1)', () => {
    // `name: no` is the boolean false for kubectl; `image: 1.0` is a number
    const result = defaultManifests({ manifests: 'kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n  - name: x\n    image: 1.0\n' });
    expect(result.containers[0].errors).toEqual(['spec.containers[0].image: Invalid value: 1: must be a string']);
  });

  it('malformed YAML is InvalidManifest with line and column', () => {
    const bad = 'kind: Pod\nmetadata:\n  name: p\n   bad: indent\n';
    let caught: unknown;
    try {
      defaultManifests({ manifests: bad });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).code).toBe(ErrorCode.InvalidManifest);
    expect((caught as ApiError).message).toBe('manifests: malformed YAML at line 3, column 9: Nested mappings are not allowed in compact mappings');
    expect(() => defaultManifests({ manifests: 'a: 1\n---\nb: [1, 2\n' })).toThrow(/line 4, column \d+ \(document 2\)/);
    expect(() => defaultManifests({ manifests: 'a: 1\na: 2\n' })).toThrow(/line \d+, column \d+: Map keys must be unique/);
  });

  it('an empty stream or empty documents give no containers and keep the text', () => {
    for (const empty of ['', '---\n', '# only a comment\n']) {
      const result = defaultManifests({ manifests: empty });
      expect(result.manifests).toBe(empty);
      expect(result.containers).toEqual([]);
      expect(result.warnings).toEqual(['no Kubernetes objects found']);
    }
  });
});

describe('updates with previous (kubectl apply semantics)', () => {
  const deployment = (image: string, extra: Record<string, unknown> = {}) => workload('Deployment', podSpec(image, extra));

  it('keeps the stored policy when the tag moves to latest, with a warning', () => {
    const result = defaultManifests({ manifests: deployment('nginx:latest'), previous: deployment('nginx:1.25') });
    expect(result.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', reason: 'Kept', defaulted: false, previous: { image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent' } });
    expect(result.containers[0].warnings[0]).toContain('a fresh create of "nginx:latest" would default to Always (the tag moved to latest)');
    expect((result.manifests as any).spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
  });

  it('keeps Always when the tag moves away from latest', () => {
    const result = defaultManifests({ manifests: deployment('nginx:1.26'), previous: deployment('nginx') });
    expect(result.containers[0]).toMatchObject({ imagePullPolicy: 'Always', reason: 'Kept' });
    expect(result.containers[0].warnings[0]).toContain('(the tag moved away from latest)');
  });

  it('no warning when the default would be the same', () => {
    const result = defaultManifests({ manifests: deployment('nginx:1.26'), previous: deployment('nginx:1.25') });
    expect(result.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', reason: 'Kept', warnings: [] });
  });

  it('a policy set in the previous manifest and dropped now is defaulted again (apply deletes it)', () => {
    const result = defaultManifests({ manifests: deployment('nginx:latest'), previous: deployment('nginx:1.25', { imagePullPolicy: 'IfNotPresent' }) });
    expect(result.containers[0]).toMatchObject({ imagePullPolicy: 'Always', reason: 'TagLatest', defaulted: true });
    expect(result.containers[0].warnings[0]).toContain('the last applied configuration set it and this apply removes it');
  });

  it('a live object is read with its last-applied-configuration', () => {
    const live = (lastApplied: unknown) => ({
      ...deployment('nginx:1.25', { imagePullPolicy: 'IfNotPresent' }),
      metadata: { name: 'deployment', namespace: 'ns', uid: 'u-1', annotations: lastApplied === undefined ? {} : { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(lastApplied) } },
    });
    // the field came from defaulting: kept
    expect(defaultManifests({ manifests: deployment('nginx:latest'), previous: live(deployment('nginx:1.25')) }).containers[0].reason).toBe('Kept');
    // created with kubectl create (no annotation): kept
    expect(defaultManifests({ manifests: deployment('nginx:latest'), previous: live(undefined) }).containers[0].reason).toBe('Kept');
    // the field was applied explicitly: removed and defaulted again
    const explicit = defaultManifests({ manifests: deployment('nginx:latest'), previous: live(deployment('nginx:1.25', { imagePullPolicy: 'IfNotPresent' })) });
    expect(explicit.containers[0]).toMatchObject({ imagePullPolicy: 'Always', reason: 'TagLatest' });
  });

  it('update: replace (PUT) defaults an omitted field again', () => {
    const result = defaultManifests({ manifests: deployment('nginx:latest'), previous: deployment('nginx:1.25'), update: 'replace' });
    expect(result.containers[0]).toMatchObject({ imagePullPolicy: 'Always', defaulted: true });
    expect(result.containers[0].warnings[0]).toContain('a full replace (PUT) omits the field');
  });

  it('a Pod\'s policy cannot change on update', () => {
    const pod = (image: string, extra: Record<string, unknown> = {}) => workload('Pod', podSpec(image, extra));
    expect(defaultManifests({ manifests: pod('nginx:latest'), previous: pod('nginx:1.25') }).containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', errors: [] });
    const changed = defaultManifests({ manifests: pod('nginx:1.25', { imagePullPolicy: 'Always' }), previous: pod('nginx:1.25') });
    expect(changed.containers[0].errors[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than .*would change from IfNotPresent to Always\)$/);
    const replaced = defaultManifests({ manifests: pod('nginx:latest'), previous: pod('nginx:1.25'), update: 'replace' });
    expect(replaced.containers[0].errors).toHaveLength(1);
  });

  it('new containers and new objects are creates', () => {
    const previous = deployment('nginx:1.25');
    const next = workload('Deployment', { containers: [{ name: 'app', image: 'nginx:latest' }, { name: 'new', image: 'redis' }] });
    const result = defaultManifests({ manifests: [next, workload('Job')], previous: [previous] });
    expect(result.containers.map((c) => [c.container, c.imagePullPolicy, c.reason])).toEqual([
      ['app', 'IfNotPresent', 'Kept'],
      ['new', 'Always', 'NoTag'],
      ['app', 'IfNotPresent', 'TagNotLatest'],
    ]);
    expect(result.warnings).toEqual(['Job ns/job: not found in previous; treated as a create']);
  });

  it('previous may be YAML text while manifests is an object', () => {
    const previous = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: deployment, namespace: ns}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: app, image: nginx}\n';
    expect(defaultManifests({ manifests: deployment('nginx:1.26'), previous }).containers[0]).toMatchObject({ imagePullPolicy: 'Always', reason: 'Kept' });
  });
});

describe('AlwaysPullImages (section 2)', () => {
  it('sets Always on every Pod container, replacing given values, before validation', () => {
    const spec = {
      initContainers: [{ name: 'i', image: 'busybox:1', imagePullPolicy: 'IfNotPresent' }],
      containers: [{ name: 'c', image: 'nginx:1.25' }, { name: 'd', image: 'nginx:1.25', imagePullPolicy: 'Sometimes' }],
    };
    const result = defaultManifests({ manifests: workload('Pod', spec), alwaysPullImages: true });
    expect(result.containers.map((c) => [c.imagePullPolicy, c.reason, c.errors.length])).toEqual([
      ['Always', 'AlwaysPullImages', 0],
      ['Always', 'AlwaysPullImages', 0],
      ['Always', 'AlwaysPullImages', 0],
    ]);
    expect((result.manifests as any).spec.initContainers[0].imagePullPolicy).toBe('Always');
  });

  it('pod templates keep their policy; the pods get Always', () => {
    const result = defaultManifests({ manifests: workload('Deployment'), alwaysPullImages: true });
    expect(result.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', podPullPolicy: 'Always', reason: 'TagNotLatest' });
    expect(result.containers[0].warnings.join('\n')).toContain('AlwaysPullImages');
  });

  it('Pod updates without a new image are skipped', () => {
    const pod = (image: string) => workload('Pod', podSpec(image, { imagePullPolicy: 'IfNotPresent' }));
    const same = defaultManifests({ manifests: pod('nginx:1.25'), previous: pod('nginx:1.25'), alwaysPullImages: true });
    expect(same.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', errors: [] });
    const newImage = defaultManifests({ manifests: pod('nginx:1.26'), previous: pod('nginx:1.25'), alwaysPullImages: true });
    expect(newImage.containers[0].imagePullPolicy).toBe('Always');
    expect(newImage.containers[0].errors[0]).toContain('pod updates may not change fields');
  });
});

describe('properties', () => {
  const image = fc.constantFrom('nginx', 'nginx:latest', 'nginx:1.25', 'Nginx', '', `a@sha256:${HEX}`, 'ghcr.io/o/a:latest');
  const container = fc.record({ name: fc.stringMatching(/^[a-z]{1,6}$/), image, imagePullPolicy: fc.constantFrom(undefined, 'Always', 'Never', '') }, { requiredKeys: ['name', 'image'] });
  const object = fc.oneof(
    fc.tuple(fc.constantFrom(...Object.keys(WORKLOAD_KINDS)), fc.array(container, { maxLength: 3 })).map(([kind, containers]) => workload(kind, { containers })),
    fc.constant({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } }),
    fc.constant({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } }),
  );

  const strip = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value, (key, v) => (key === 'imagePullPolicy' ? undefined : v)));

  it('never drops or reorders objects, and only adds imagePullPolicy', () => {
    fc.assert(
      fc.property(fc.array(object, { maxLength: 6 }), (objects) => {
        const result = defaultManifests({ manifests: objects });
        const out = result.manifests as unknown[];
        expect(out).toHaveLength(objects.length);
        expect(strip(out)).toEqual(strip(objects));
        for (const report of result.containers) expect(['Always', 'IfNotPresent', 'Never']).toContain(report.imagePullPolicy);
      }),
      { numRuns: 200 },
    );
  });

  it('defaulting twice changes nothing', () => {
    fc.assert(
      fc.property(fc.array(object, { maxLength: 4 }), (objects) => {
        const once = defaultManifests({ manifests: objects }).manifests;
        const twice = defaultManifests({ manifests: once }).manifests;
        expect(twice).toEqual(once);
      }),
      { numRuns: 100 },
    );
  });

  it('YAML: comments survive and the documents read back as the object answer', () => {
    fc.assert(
      fc.property(fc.array(object, { minLength: 1, maxLength: 4 }), fc.stringMatching(/^[a-z ]{0,12}$/), (objects, note) => {
        const yaml = objects
          .map((o, i) => `# object ${i} ${note}\n${toBlockYaml(o)}`)
          .join('---\n');
        const fromYaml = defaultManifests({ manifests: yaml });
        const fromObjects = defaultManifests({ manifests: objects });
        for (let i = 0; i < objects.length; i++) expect(fromYaml.manifests as string).toContain(`# object ${i} ${note}\n`);
        const docs = (parseAllDocuments(fromYaml.manifests as string, { version: '1.1' }) as any[]).map((d) => d.toJS());
        expect(docs).toEqual(fromObjects.manifests);
        expect(fromYaml.containers).toEqual(fromObjects.containers);
      }),
      { numRuns: 100 },
    );
  });
});

describe('YAML aliases', () => {
  it('a container shared through an alias is defaulted once in the text (valid YAML), and in every copy of the report', () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n- &p\n  apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - {name: c, image: nginx}\n- *p\n- *p\n';
    const result = defaultManifests({ manifests: text });
    expect(result.containers).toHaveLength(3);
    const written = result.manifests as string;
    expect(written.match(/imagePullPolicy/g)).toHaveLength(1);
    const documents = parseAllDocuments(written) as unknown as { errors: unknown[] }[];
    expect(documents[0].errors).toEqual([]);
  });
});

describe('request bounds', () => {
  it(`takes ${MAX_CONTAINERS} containers in one request and refuses one more (413)`, () => {
    const pod = (containers: number) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: Array.from({ length: containers }, (_, i) => ({ name: `c${i}`, image: 'nginx:1.25' })) } });
    expect(defaultManifests({ manifests: [pod(MAX_CONTAINERS / 2), pod(MAX_CONTAINERS / 2)] }).containers).toHaveLength(MAX_CONTAINERS);
    const error = (() => {
      try {
        defaultManifests({ manifests: [pod(MAX_CONTAINERS / 2), pod(MAX_CONTAINERS / 2 + 1)] });
      } catch (e) {
        return e as ApiError;
      }
      throw new Error('expected a refusal');
    })();
    expect(error.code).toBe(ErrorCode.PayloadTooLarge);
    expect(error.message).toBe(`manifests: more than ${MAX_CONTAINERS} containers and image volumes in one request (the limit); split the stream`);
  });
});

/** A small block-style YAML writer for test inputs (strings always double-quoted). */
function toBlockYaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]\n';
    return value.map((item) => `${indent}- ${toBlockYaml(item, `${indent}  `).trimStart()}`).join('');
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}\n';
    return entries
      .map(([key, v]) => {
        if (v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0)) {
          return `${indent}${key}:\n${toBlockYaml(v, `${indent}  `)}`;
        }
        return `${indent}${key}: ${toBlockYaml(v, indent).trim()}\n`;
      })
      .join('');
  }
  return `${JSON.stringify(value)}\n`;
}
