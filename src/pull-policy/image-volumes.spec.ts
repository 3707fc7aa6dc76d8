/**
 * Image volumes (`volumes[].image`, KEP-4639) in the manifest walker, and the ImageVolume gate per API
 * server release. Each table row names the Kubernetes source it follows.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, ErrorCode } from '../common/errors.js';
import { featureGates as kubeletFeatureGates, KUBELET_VERSIONS, NEWEST_KUBELET_VERSION } from '../decision/kubelet-versions.js';
import { imageVolumeGate, KUBERNETES_VERSIONS, kubernetesRelease, NEWEST_KUBERNETES_VERSION, parseFeatureGatesFlag, validateFeatureGates } from './kubernetes-release.js';
import { type ContainerReport, defaultManifests, type ManifestsInput } from './manifests.js';

const HEX = 'c'.repeat(64);

function pod(volumes: unknown[], containers: unknown[] = [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 'data', mountPath: '/data' }] }]): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers, volumes } };
}
function deployment(volumes: unknown[], name = 'web'): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'ns' },
    spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', volumeMounts: [{ name: 'data', mountPath: '/data' }] }], volumes } } },
  };
}
const volumesOf = (reports: ContainerReport[]) => reports.filter((report) => report.containerType === 'imageVolume');
const walk = (input: ManifestsInput) => defaultManifests(input);

function apiError(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('no ApiError thrown');
}

describe('the ImageVolume gate per release (pkg/features/kube_features.go; kubernetes/kubernetes#135195)', () => {
  it.each([
    ['1.29', false, false, null, 'before KEP-4639: no image volume source in pkg/apis/core/types.go'],
    ['1.30', false, false, null, 'same'],
    ['1.31', true, false, 'alpha', 'ImageVolume {1.31, Default: false, Alpha}'],
    ['1.32', true, false, 'alpha', 'same'],
    ['1.33', true, false, 'beta', 'ImageVolume {1.33, Default: false, Beta}'],
    ['1.34', true, false, 'beta', 'same'],
    ['1.35', true, true, 'beta', 'ImageVolume {1.35, Default: true, Beta} (#135195 "Move ImageVolume to on by default beta")'],
    ['1.36', true, true, 'GA', 'ImageVolume {1.36, Default: true, GA, LockToDefault: true} (#136711; website#54285)'],
    ['1.37', true, true, 'GA', 'same'],
  ] as const)('%s: exists %s, on %s, %s — %s', (version, exists, enabled, stage, _source) => {
    const gate = imageVolumeGate(kubernetesRelease(version));
    expect({ exists: gate.exists, enabled: gate.enabled, stage: gate.stage }).toEqual({ exists, enabled, stage });
  });

  it('agrees with the kubelet side (decision/kubelet-versions.ts) on every release both model, and ends at the same newest release', () => {
    expect(NEWEST_KUBERNETES_VERSION).toBe(NEWEST_KUBELET_VERSION);
    for (const version of KUBELET_VERSIONS) {
      expect(KUBERNETES_VERSIONS).toContain(version);
      const kubelet = kubeletFeatureGates(version).ImageVolume;
      const apiServer = imageVolumeGate(kubernetesRelease(version));
      expect([version, apiServer.enabled, apiServer.stage === 'GA' ? 'GA' : apiServer.stage, apiServer.locked]).toEqual([version, kubelet.enabled, kubelet.stage, kubelet.lockedToDefault]);
    }
  });

  it('the caller can turn the gate on or off where it exists, as kube-apiserver --feature-gates does', () => {
    expect(imageVolumeGate(kubernetesRelease('1.33'), { ImageVolume: true })).toMatchObject({ enabled: true, explicit: true, byDefault: false });
    expect(imageVolumeGate(kubernetesRelease('1.35'), { ImageVolume: false })).toMatchObject({ enabled: false, explicit: true, byDefault: true });
    expect(apiError(() => imageVolumeGate(kubernetesRelease('1.30'), { ImageVolume: true })).message).toBe(
      'featureGates.ImageVolume: Kubernetes 1.30 has no ImageVolume feature gate (alpha from 1.31)',
    );
    // GA and LockToDefault: kube-apiserver refuses to turn it off.
    expect(imageVolumeGate(kubernetesRelease('1.36'), { ImageVolume: true })).toMatchObject({ enabled: true, locked: true });
    expect(apiError(() => imageVolumeGate(kubernetesRelease('1.36'), { ImageVolume: false })).message).toBe(
      'featureGates.ImageVolume: the ImageVolume feature gate is GA and locked to true from 1.36 (Kubernetes 1.36); it cannot be turned off',
    );
  });

  it.each([
    [undefined, NEWEST_KUBERNETES_VERSION],
    ['1.33', '1.33'],
    ['v1.33', '1.33'],
    ['1.33.4', '1.33'],
    ['v1.34.2-eks-1234567', '1.34'],
    [' 1.31 ', '1.31'],
    ['v1.36.4+k3s1', '1.36'],
  ])('reads %j as %s (absent: the newest modelled release)', (value, version) => {
    expect(kubernetesRelease(value).version).toBe(version);
  });

  it.each(['1.28', '1.38', '2.0', '1', 'latest', '1.33.x', ''])('refuses %j with a 400 naming the field and the range', (value) => {
    const error = apiError(() => kubernetesRelease(value));
    expect(error.code).toBe(ErrorCode.InvalidRequest);
    expect(error.message).toBe(`kubernetesVersion: ${JSON.stringify(value)} is not a modelled Kubernetes release (1.29 to 1.37)`);
  });

  it('checks featureGates objects and the --feature-gates flag form', () => {
    expect(validateFeatureGates({ ImageVolume: true })).toEqual({ ImageVolume: true });
    expect(parseFeatureGatesFlag('ImageVolume=false')).toEqual({ ImageVolume: false });
    expect(apiError(() => validateFeatureGates({ PodLevelResources: true })).message).toBe('featureGates.PodLevelResources is not a modelled feature gate (only ImageVolume)');
    expect(apiError(() => validateFeatureGates({ ImageVolume: 'yes' })).message).toBe('featureGates.ImageVolume must be a boolean');
    expect(apiError(() => validateFeatureGates([])).message).toBe('featureGates must be an object such as {"ImageVolume": true}');
    expect(apiError(() => parseFeatureGatesFlag('ImageVolume')).message).toContain('Name=true|false pairs');
  });
});

describe('defaulting of image.pullPolicy (pkg/apis/core/v1/defaults.go SetDefaults_Volume, the rule of SetDefaults_Container)', () => {
  it.each([
    ['nginx', 'Always', 'NoTag'],
    ['nginx:latest', 'Always', 'TagLatest'],
    ['nginx:Latest', 'IfNotPresent', 'TagNotLatest'],
    ['quay.io/org/models:v3', 'IfNotPresent', 'TagNotLatest'],
    [`quay.io/org/models@sha256:${HEX}`, 'IfNotPresent', 'DigestOnly'],
    [`quay.io/org/models:latest@sha256:${HEX}`, 'Always', 'TagLatest'],
    ['Quay.io/Org/Models', 'IfNotPresent', 'InvalidImage'],
  ])('reference %s → %s (%s)', (reference, policy, reason) => {
    const result = walk({ manifests: pod([{ name: 'data', image: { reference } }]) });
    const [volume] = volumesOf(result.containers);
    expect(volume).toMatchObject({ containerType: 'imageVolume', volume: 'data', container: null, path: 'spec.volumes[0]', image: reference, imagePullPolicy: policy, podPullPolicy: policy, defaulted: true, reason });
    expect((result.manifests as any).spec.volumes[0]).toEqual({ name: 'data', image: { reference, pullPolicy: policy } });
  });

  it('an unparsable reference: IfNotPresent, and the warning that the kubelet fails the volume with InvalidImageName', () => {
    const [volume] = volumesOf(walk({ manifests: pod([{ name: 'data', image: { reference: 'quay.io/Org/models' } }]) }).containers);
    expect(volume.imageValid).toBe(false);
    expect(volume.warnings[0]).toContain('InvalidImageName');
  });

  it('a given pullPolicy is kept (Specified); an unsupported one is rejected at image.pullPolicy', () => {
    const result = walk({ manifests: pod([{ name: 'data', image: { reference: 'nginx', pullPolicy: 'Never' } }, { name: 'bad', image: { reference: 'nginx', pullPolicy: 'always' } }]) });
    const [given, bad] = volumesOf(result.containers);
    expect(given).toMatchObject({ imagePullPolicy: 'Never', defaulted: false, reason: 'Specified' });
    expect(bad).toMatchObject({ imagePullPolicy: 'always', reason: 'Specified' });
    expect(bad.errors).toEqual(['spec.volumes[1].image.pullPolicy: Unsupported value: "always": supported values: "Always", "IfNotPresent", "Never" (values are case-sensitive: did you mean "Always"?)']);
    expect(result.errors).toEqual([`Pod ns/p: ${bad.errors[0]}`]);
  });

  it('reference is required in a Pod, optional in a template (ImageVolumeSource.Reference: "optional to allow higher level config management")', () => {
    const inPod = volumesOf(walk({ manifests: pod([{ name: 'data', image: {} }]) }).containers)[0];
    expect(inPod.errors).toEqual(['spec.volumes[0].image.reference: Required value']);
    const inTemplate = volumesOf(walk({ manifests: deployment([{ name: 'data', image: { reference: '' } }]) }).containers)[0];
    expect(inTemplate.errors).toEqual([]);
    expect(inTemplate.warnings[0]).toContain('pods created from it are rejected');
    expect(inTemplate.imagePullPolicy).toBe('IfNotPresent');
  });

  it('every workload kind: the path of the volume and the mounting containers of every list', () => {
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: {
                initContainers: [{ name: 'fetch', image: 'busybox:1.36', volumeMounts: [{ name: 'models', mountPath: '/m' }] }],
                containers: [{ name: 'train', image: 'trainer:2', volumeMounts: [{ name: 'models', mountPath: '/m' }] }, { name: 'side', image: 'side:1' }],
                volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'models', image: { reference: 'registry.example.com/models:2024' } }],
              },
            },
          },
        },
      },
    };
    const result = walk({ manifests: cronJob });
    expect(result.containers.map((report) => [report.containerType, report.container ?? report.volume, report.path])).toEqual([
      ['initContainers', 'fetch', 'spec.jobTemplate.spec.template.spec.initContainers[0]'],
      ['containers', 'train', 'spec.jobTemplate.spec.template.spec.containers[0]'],
      ['containers', 'side', 'spec.jobTemplate.spec.template.spec.containers[1]'],
      ['imageVolume', 'models', 'spec.jobTemplate.spec.template.spec.volumes[1]'],
    ]);
    expect(volumesOf(result.containers)[0].mountedBy).toEqual(['fetch', 'train']);
    // Container reports carry no volume fields: the existing shape is unchanged.
    expect(Object.keys(result.containers[0])).not.toContain('volume');
  });

  it('a volume nobody mounts is still reported, with the warning that the kubelet pulls it anyway', () => {
    const [volume] = volumesOf(walk({ manifests: pod([{ name: 'other', image: { reference: 'nginx:1' } }]) }).containers);
    expect(volume.mountedBy).toEqual([]);
    expect(volume.warnings).toContain("no container mounts this volume: the kubelet still pulls it before starting the pod's containers, but its failure blocks none of them");
  });

  it('AlwaysPullImages sets containers only (alwayspullimages/admission.go Admit: pods.VisitContainersWithPath): the volume keeps its policy, with a warning', () => {
    const result = walk({ manifests: pod([{ name: 'data', image: { reference: 'registry.example.com/private:v1' } }]), alwaysPullImages: true });
    expect(result.containers.map((report) => [report.containerType, report.imagePullPolicy, report.podPullPolicy, report.reason])).toEqual([
      ['containers', 'Always', 'Always', 'AlwaysPullImages'],
      ['imageVolume', 'IfNotPresent', 'IfNotPresent', 'TagNotLatest'],
    ]);
    expect(volumesOf(result.containers)[0].warnings[0]).toContain('the AlwaysPullImages admission plugin sets Always on containers only, not on image volumes');
  });
});

describe('the gate decides whether the volume exists (pkg/api/pod/util.go dropImageVolumes; strict decoding before 1.31)', () => {
  const manifests = deployment([{ name: 'data', image: { reference: 'quay.io/org/models:v1' } }]);

  it.each(['1.31', '1.32', '1.33', '1.34'])('%s (gate off by default): dropped with its mounts, nothing defaulted or reported', (kubernetesVersion) => {
    const result = walk({ manifests, kubernetesVersion });
    expect(volumesOf(result.containers)).toEqual([]);
    expect((result.manifests as any).spec.template.spec.volumes[0]).toEqual({ name: 'data', image: { reference: 'quay.io/org/models:v1' } });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(new RegExp(`^Deployment ns/web: spec\\.template\\.spec\\.volumes\\[0\\] \\(image volume "data"\\): the ImageVolume feature gate is off in Kubernetes ${kubernetesVersion.replace('.', '\\.')} .*dropImageVolumes`));
  });

  it.each(['1.29', '1.30'])('%s (no such field): the strict decoding error, and the emptyDir trap without strict validation', (kubernetesVersion) => {
    const result = walk({ manifests, kubernetesVersion });
    expect(volumesOf(result.containers)).toEqual([]);
    expect(result.errors).toEqual(['Deployment ns/web: strict decoding error: unknown field "spec.template.spec.volumes[0].image"']);
    expect(result.warnings[0]).toContain('becomes an empty emptyDir');
  });

  it('1.33 with featureGates ImageVolume=true defaults; 1.35 with ImageVolume=false drops', () => {
    expect(volumesOf(walk({ manifests, kubernetesVersion: '1.33', featureGates: { ImageVolume: true } }).containers)[0].imagePullPolicy).toBe('IfNotPresent');
    expect(volumesOf(walk({ manifests, kubernetesVersion: '1.35', featureGates: { ImageVolume: false } }).containers)).toEqual([]);
  });

  it('a bad kubernetesVersion is refused before the manifests are read', () => {
    expect(apiError(() => walk({ manifests: 'not: [yaml', kubernetesVersion: '1.99' })).message).toBe('kubernetesVersion: "1.99" is not a modelled Kubernetes release (1.29 to 1.37)');
  });

  it('gate off but the stored object already has image volumes (imageVolumesInUse): kept, not defaulted', () => {
    // The last applied manifest left pullPolicy to the defaulting of the time (a 1.35 API server, or the gate on).
    const previous = deployment([{ name: 'data', image: { reference: 'quay.io/org/models:v1' } }]);
    const kept = walk({ manifests, previous, kubernetesVersion: '1.34' });
    expect(volumesOf(kept.containers)[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', reason: 'Kept', defaulted: false });
    const replaced = walk({ manifests, previous, kubernetesVersion: '1.34', update: 'replace' });
    expect(volumesOf(replaced.containers)[0].errors).toEqual(['spec.template.spec.volumes[0].image.pullPolicy: Required value']);
    // Applied with pullPolicy before, dropped now: apply deletes the field, and nothing defaults it.
    const explicit = deployment([{ name: 'data', image: { reference: 'quay.io/org/models:v1', pullPolicy: 'IfNotPresent' } }]);
    expect(volumesOf(walk({ manifests, previous: explicit, kubernetesVersion: '1.34' }).containers)[0].errors).toEqual(['spec.template.spec.volumes[0].image.pullPolicy: Required value']);
  });
});

describe('updates: set at creation, never re-defaulted (defaulting only fills an empty field; volumes merge by name)', () => {
  it.each([
    ['apply keeps the stored IfNotPresent when the reference moves to :latest', 'apply', 'IfNotPresent', 'Kept', 'a fresh create of "quay.io/org/models:latest" would default to Always'],
    ['a full PUT (replace) defaults again from the new reference', 'replace', 'Always', 'TagLatest', 'pullPolicy changes from IfNotPresent to Always: a full replace (PUT) omits the field'],
  ] as const)('%s', (_title, update, policy, reason, warning) => {
    const previous = deployment([{ name: 'data', image: { reference: 'quay.io/org/models:v1' } }]);
    const manifests = deployment([{ name: 'data', image: { reference: 'quay.io/org/models:latest' } }]);
    const [volume] = volumesOf(walk({ manifests, previous, update }).containers);
    expect(volume).toMatchObject({ imagePullPolicy: policy, reason, previous: { image: 'quay.io/org/models:v1', imagePullPolicy: 'IfNotPresent' } });
    expect(volume.warnings.join('\n')).toContain(warning);
  });

  it('apply re-defaults when the last applied configuration set pullPolicy and the new manifest drops it', () => {
    const previous = deployment([{ name: 'data', image: { reference: 'quay.io/org/models:v1', pullPolicy: 'Never' } }]);
    const [volume] = volumesOf(walk({ manifests: deployment([{ name: 'data', image: { reference: 'quay.io/org/models:v1' } }]), previous }).containers);
    expect(volume).toMatchObject({ imagePullPolicy: 'IfNotPresent', reason: 'TagNotLatest', defaulted: true });
  });

  it('a Pod cannot change a volume on update', () => {
    const previous = pod([{ name: 'data', image: { reference: 'nginx:1', pullPolicy: 'IfNotPresent' } }]);
    const [volume] = volumesOf(walk({ manifests: pod([{ name: 'data', image: { reference: 'nginx:1', pullPolicy: 'Always' } }]), previous }).containers);
    expect(volume.errors[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than .*\(spec\.volumes\[0\]\.image\.pullPolicy would change from IfNotPresent to Always\)$/);
  });
});

describe('the answer in the form given, edited in place', () => {
  it('YAML: pullPolicy right after reference, comments and flow style kept, only the new lines added', () => {
    const yaml = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web # front end',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '      - name: web',
      '        image: nginx:1.25',
      '        imagePullPolicy: IfNotPresent',
      '      volumes:',
      '      - name: models # weights, 4 GB',
      '        image:',
      '          # pinned by the release pipeline',
      '          reference: registry.example.com/models:latest',
      '      - name: cfg',
      `        image: {reference: "quay.io/org/cfg@sha256:${HEX}"}`,
      '      - name: tmp',
      '        emptyDir: {}',
      '',
    ].join('\n');
    const result = walk({ manifests: yaml });
    expect(result.format).toBe('yaml');
    expect(result.manifests).toBe(
      yaml
        .replace('reference: registry.example.com/models:latest\n', 'reference: registry.example.com/models:latest\n          pullPolicy: Always\n')
        .replace(`"quay.io/org/cfg@sha256:${HEX}"}`, `"quay.io/org/cfg@sha256:${HEX}", pullPolicy: IfNotPresent}`),
    );
    expect(walk({ manifests: result.manifests }).manifests).toBe(result.manifests); // idempotent
  });

  it('JSON text: the key order kept, pullPolicy inserted after reference', () => {
    const text = JSON.stringify(pod([{ name: 'data', image: { reference: 'nginx:1.25' } }]), null, 2);
    const out = JSON.parse(walk({ manifests: text }).manifests as string);
    expect(Object.keys(out.spec.volumes[0].image)).toEqual(['reference', 'pullPolicy']);
    expect(out.spec.volumes[0].image.pullPolicy).toBe('IfNotPresent');
  });

  it('an object input is copied, never changed', () => {
    const input = pod([{ name: 'data', image: { reference: 'nginx' } }]);
    const before = structuredClone(input);
    walk({ manifests: input });
    expect(input).toEqual(before);
  });
});
