/**
 * Image volumes (KEP-4639, `volumes[].image`) in the decisions for manifests: each one gets the kubelet's
 * decision like a container image, and the decisions say how the kubelet's handling of volumes differs.
 * Pure: plain values in, plain values out.
 *
 * What the kubelet does (pkg/kubelet/kuberuntime/kuberuntime_manager.go):
 *  - SyncPod calls getImageVolumes once per pod sync, after the sandbox and before any container starts:
 *    for every volume with an `image` source, `imagePuller.EnsureImageExists(ctx, objRef, pod,
 *    volume.Image.Reference, pullSecrets, podSandboxConfig, podRuntimeHandler, volume.Image.PullPolicy)`,
 *    where objRef is the Pod (`ref.GetReference(legacyscheme.Scheme, pod)`), not a container. So the same
 *    rules (pull policy, presence, credential verification, back-off per pod and image) and the same event
 *    texts apply (pkg/kubelet/images/image_manager.go: "Container image %q already present on machine",
 *    "Pulling image %q", "Container image %q is not present with pull policy of Never", …), but the events are
 *    recorded on the Pod, not on a container. Pull secrets are assembled as for the pod's containers.
 *  - A volume's failure does not stop the pod sync; it is kept per volume name and surfaces when a container
 *    that mounts the volume starts (toKubeContainerImageVolumes): that container's start fails with the
 *    volume's error (its `waiting.reason`, e.g. ErrImagePull or ErrImageNeverPull, and a Warning Failed
 *    "Error: …" event on the container). Containers that do not mount it are not affected.
 *  - getImageVolumes returns without pulling anything while the kubelet's own ImageVolume gate is off
 *    (kubelet 1.33–1.34 by default; decision/kubelet-versions.ts): a 1.35 API server can store the volume
 *    while an older kubelet never pulls or mounts it (pkg/volume/image is a stub plugin). The decision then
 *    says so first.
 */
import type { ContainerReport } from '../pull-policy/manifests.js';
import type { PullDecision } from './decision.types.js';

/** The part of a decision result that this module reads and extends (ContainerDecision of decision.service.ts). */
export interface VolumeAwareResult {
  kind: string;
  name: string | null;
  container: string | null;
  containerType: string;
  document: number;
  item: number | null;
  decision: PullDecision | null;
  /** Image volumes only: the volume's name. */
  volume?: string | null;
  /** Image volumes only: the containers that mount it. */
  mountedBy?: string[];
}

const POD_LEVEL_PULL =
  'an image volume is pulled by the kubelet once per pod, before any container starts (kuberuntime_manager.go getImageVolumes), ' +
  'with the same pull policy rules and event texts as a container image; its events are recorded on the Pod, not on a container';

/**
 * Adds to the results (aligned with `reports`) what is particular to image volumes: the volume's name and
 * mounting containers on its own result, the pod-level pull note on its decision, and on each container
 * that mounts a failing volume the failure it will start with.
 */
export function withImageVolumeDecisions<T extends VolumeAwareResult>(results: T[], reports: readonly ContainerReport[]): T[] {
  if (!reports.some((report) => report.containerType === 'imageVolume')) return results;
  // Failing volumes per object (document, item): a container fails with them only inside its own pod.
  const failing = new Map<string, Array<{ volume: string; mountedBy: string[]; decision: PullDecision }>>();
  const objectKey = (result: VolumeAwareResult) => `${result.document}\u0000${result.item ?? ''}`;
  results.forEach((result, index) => {
    const report = reports[index];
    if (report.containerType !== 'imageVolume') return;
    result.volume = report.volume ?? null;
    result.mountedBy = [...(report.mountedBy ?? [])];
    const decision = result.decision;
    if (decision === null) return;
    const kubeletGate = decision.kubelet?.featureGates?.ImageVolume;
    if (kubeletGate !== undefined && !kubeletGate.enabled) {
      const note =
        `the kubelet ${decision.kubelet.version} has its ImageVolume feature gate off (${kubeletGate.stage}, ${kubeletGate.byDefault ? 'on' : 'off'} by default): ` +
        'getImageVolumes (kuberuntime_manager.go) pulls no image volume, so this decision does not happen and the image is not mounted; ' +
        'turn the gate on in the kubelet, or run a 1.35 or newer kubelet';
      result.decision = Object.assign({}, decision, { warnings: [note, ...decision.warnings] });
      return;
    }
    const mounted = result.mountedBy.length === 0
      ? 'no container mounts it, so a failure of this pull blocks no container'
      : `a failure here fails the start of ${result.mountedBy.map((name) => `"${name}"`).join(', ')} (the containers that mount it), with this volume's error as their waiting reason`;
    result.decision = Object.assign({}, decision, { warnings: [...decision.warnings, `${POD_LEVEL_PULL}; ${mounted}`] });
    if (decision.action === 'Fail' && result.volume !== null) {
      const key = objectKey(result);
      const list = failing.get(key) ?? [];
      list.push({ volume: result.volume, mountedBy: result.mountedBy, decision });
      failing.set(key, list);
    }
  });
  if (failing.size === 0) return results;
  results.forEach((result, index) => {
    const report = reports[index];
    if (report.containerType === 'imageVolume' || result.decision === null || report.container === null) return;
    const container = report.container;
    const volumes = (failing.get(objectKey(result)) ?? []).filter(({ mountedBy }) => mountedBy.includes(container));
    if (volumes.length === 0) return;
    const notes = volumes.map(({ volume, decision }) =>
      decision.reason === 'DeniedByPolicy'
        ? `the image volume "${volume}" it mounts is denied by policy (${decision.message}): the pod would not be admitted`
        : `the image volume "${volume}" it mounts fails (${decision.reason}: ${decision.message}): the kubelet does not start this container ` +
          `(kuberuntime_manager.go toKubeContainerImageVolumes: Warning Failed "Error: ${decision.reason}", waiting reason ${decision.waiting?.reason ?? decision.reason}), whatever its own image does`,
    );
    result.decision = Object.assign({}, result.decision, { warnings: [...result.decision.warnings, ...notes] });
  });
  return results;
}
