import { describe, expect, it } from 'vitest';
import { encodePatch, pointerSegment, readAdmissionReview } from './admission-review.js';
import { parseTimeoutQuery } from './admission.service.js';
import { containersOf, podSpecPath } from './pod-containers.js';

describe('admission review helpers', () => {
  it('reads the API server timeout query', () => {
    expect(['10s', '1.5s', '500ms', '1m', 'x', undefined].map(parseTimeoutQuery)).toEqual([10_000, 1_500, 500, 60_000, null, null]);
  });

  it('escapes JSON pointer segments and encodes patches as base64 JSON', () => {
    expect(pointerSegment('a/b~c')).toBe('a~1b~0c');
    expect(JSON.parse(Buffer.from(encodePatch([{ op: 'add', path: '/x', value: 1 }]), 'base64').toString())).toEqual([{ op: 'add', path: '/x', value: 1 }]);
  });

  it('finds pod specs only for the kinds and groups Kubernetes serves them in', () => {
    expect(podSpecPath({ group: 'apps', version: 'v1', kind: 'Deployment' })).toEqual(['spec', 'template', 'spec']);
    expect(podSpecPath({ group: 'batch', version: 'v1', kind: 'CronJob' })).toEqual(['spec', 'jobTemplate', 'spec', 'template', 'spec']);
    expect(podSpecPath({ group: 'example.com', version: 'v1', kind: 'Deployment' })).toBeNull();
    expect(podSpecPath({ group: '', version: 'v1', kind: 'toString' })).toBeNull();
  });

  it('lists containers with pointers, skipping entries without an image', () => {
    const found = containersOf({ spec: { initContainers: [{ name: 'i', image: 'a' }], containers: [{ name: 'c' }, { name: 'd', image: 'b', imagePullPolicy: 'Never' }] } }, ['spec']);
    expect(found.map((c) => [c.pointer, c.image, c.imagePullPolicy])).toEqual([
      ['/spec/initContainers/0', 'a', undefined],
      ['/spec/containers/1', 'b', 'Never'],
    ]);
  });

  it('defaults a missing group to the core group', () => {
    const review = readAdmissionReview({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'DELETE', kind: { version: 'v1', kind: 'Pod' } } });
    expect(review.request.kind).toEqual({ group: '', version: 'v1', kind: 'Pod' });
  });
});
