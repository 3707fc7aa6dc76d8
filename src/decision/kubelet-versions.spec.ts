import { describe, expect, it } from 'vitest';
import { ApiError, ErrorCode } from '../common/errors.js';
import { featureGates, KUBELET_VERSIONS, kubeletRelease, kubeletVersionOf, NEWEST_KUBELET_VERSION } from './kubelet-versions.js';

describe('featureGates(kubeletVersion): the versioned specs of pkg/features/kube_features.go', () => {
  it.each([
    // [release, KubeletEnsureSecretPulledImages, ImageVolume, source]
    ['1.33', { enabled: false, stage: 'alpha' }, { enabled: false, stage: 'beta' }, 'KESPI {1.33, false, Alpha}; ImageVolume {1.33, false, Beta}'],
    ['1.34', { enabled: false, stage: 'alpha' }, { enabled: false, stage: 'beta' }, 'no 1.34 rows: the 1.33 rows hold'],
    ['1.35', { enabled: true, stage: 'beta' }, { enabled: true, stage: 'beta' }, 'KESPI {1.35, true, Beta} (#135228); ImageVolume {1.35, true, Beta}'],
    ['1.36', { enabled: true, stage: 'beta' }, { enabled: true, stage: 'GA', lockedToDefault: true }, 'ImageVolume {1.36, true, GA, LockToDefault} (#136711)'],
    ['1.37', { enabled: true, stage: 'beta' }, { enabled: true, stage: 'GA', lockedToDefault: true }, 'no 1.37 rows for either gate'],
  ] as const)('%s: KubeletEnsureSecretPulledImages %o, ImageVolume %o (%s)', (version, ensure, imageVolume, _source) => {
    const gates = featureGates(version);
    expect(gates.KubeletEnsureSecretPulledImages).toMatchObject(ensure);
    expect(gates.ImageVolume).toMatchObject(imageVolume);
  });

  it('models every release from 1.33 to the newest, and defaults to the newest', () => {
    expect(KUBELET_VERSIONS).toEqual(['1.33', '1.34', '1.35', '1.36', '1.37']);
    expect(featureGates()).toEqual(featureGates(NEWEST_KUBELET_VERSION));
    expect(featureGates('v1.35.2-eks-4096722')).toEqual(featureGates('1.35'));
  });
});

describe('node.kubeletVersion', () => {
  it.each([
    ['1.35', '1.35'],
    ['v1.35', '1.35'],
    ['1.35.2', '1.35'],
    ['v1.35.0', '1.35'],
    ['v1.35.2-eks-4096722', '1.35'], // node.status.nodeInfo.kubeletVersion on EKS
    ['v1.36.4+k3s1', '1.36'], // on k3s
    ['1.33', '1.33'],
  ])('%j → %s', (given, version) => {
    expect(kubeletVersionOf(given)).toBe(version);
  });

  it.each([
    ['1.2', ''],
    ['1.32', 'older kubelets have no KubeletEnsureSecretPulledImages gate'],
    ['1.38', 'newer than the newest release this service models, 1.37'],
    ['2.35', ''],
    ['1.35-eks', ''], // a suffix only after the patch
    [' 1.35', ''],
    ['V1.35', ''],
    ['1.035', ''],
    ['latest', ''],
    ['', ''],
    [135, ''],
  ])('%j is a 400 naming the field and the range', (given, extra) => {
    let caught: unknown;
    try {
      kubeletVersionOf(given);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).code).toBe(ErrorCode.InvalidRequest);
    expect((caught as ApiError).message).toMatch(/^node\.kubeletVersion must be one of 1\.33, 1\.34, 1\.35, 1\.36, 1\.37 \(/);
    expect((caught as ApiError).message).toContain(`got ${JSON.stringify(given)}`);
    if (extra !== '') expect((caught as ApiError).message).toContain(extra);
  });

  it('absent: the newest release, assumed', () => {
    expect(kubeletRelease(undefined)).toMatchObject({ version: NEWEST_KUBELET_VERSION, assumed: true });
    expect(kubeletRelease('v1.34.1')).toMatchObject({ version: '1.34', assumed: false, gates: { KubeletEnsureSecretPulledImages: { enabled: false } } });
  });
});
