/**
 * The texts the kubelet and the container runtime write, so a predicted decision reads like the events
 * `kubectl describe pod` will show. Kubelet texts are verbatim (pkg/kubelet/images/image_manager.go,
 * pkg/kubelet/kuberuntime); runtime error texts depend on the runtime and are modelled on containerd 2.x.
 */
import type { ParsedReference } from '../reference/parsed-reference.js';

/** Go's `%q` (strconv.Quote) for the strings that occur in image names. */
export function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    else if (char === '\f') out += '\\f';
    else if (char === '\v') out += '\\v';
    else if (char === '\b') out += '\\b';
    else if (char === '\x07') out += '\\a';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code !== 0x20 && /[\p{C}\p{Z}]/u.test(char)) out += code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

export const KubeletText = {
  invalidImageName: (image: string, error: string) =>
    `Failed to apply default image tag ${goQuote(image)}: couldn't parse image name ${goQuote(image)}: ${error}`,
  /** The kubelet quotes the (empty) image ref here, not the image. */
  inspectFailed: (error: string) => `Failed to inspect image "": ${error}`,
  neverPull: (image: string) => `Container image ${goQuote(image)} is not present with pull policy of Never`,
  // image_manager.go EnsureImageExists: with KubeletEnsureSecretPulledImages off the kubelet writes `present`; with it on
  // (and MustAttemptImagePull false) `presentAccessible`. Which one a release writes by default follows the gate's
  // default (kubelet-versions.ts: off in 1.33–1.34, on from 1.35). The other texts are those of the image_manager.go of
  // that period (the gate-off branch included); 1.36 and 1.37 sources were not available to compare.
  present: (image: string) => `Container image ${goQuote(image)} already present on machine`,
  presentAccessible: (image: string) => `Container image ${goQuote(image)} already present on machine and can be accessed by the pod`,
  pulling: (image: string) => `Pulling image ${goQuote(image)}`,
  pulled: (image: string) => `Successfully pulled image ${goQuote(image)} in <duration> (<duration> including waiting). Image size: <bytes> bytes.`,
  failed: (image: string, error: string) => `Failed to pull image ${goQuote(image)}: ${error}`,
  backOff: (image: string, reason: string, error: string) => `Back-off pulling image ${goQuote(image)}: ${reason}: ${error}`,
  /** kuberuntime's event when the container cannot be created. */
  startError: (reason: string) => `Error: ${reason}`,
} as const;

/** Back-off per pod and image: 10 s, doubling, capped at 300 s, no jitter. */
export const IMAGE_BACKOFF_SECONDS: readonly number[] = [10, 20, 40, 80, 160, 300];

/** The registry host a runtime talks to for a reference's domain. */
export function registryHost(domain: string): string {
  return domain === 'docker.io' ? 'registry-1.docker.io' : domain;
}

/** Runtime (containerd-style) pull errors, wrapped as the CRI returns them. */
export const RuntimeText = {
  notFound: (reference: ParsedReference) =>
    `rpc error: code = NotFound desc = failed to pull and unpack image ${goQuote(reference.pullReference)}: ` +
    `failed to resolve reference ${goQuote(reference.pullReference)}: ${reference.pullReference}: not found`,
  unauthorized: (reference: ParsedReference) =>
    `rpc error: code = Unknown desc = failed to pull and unpack image ${goQuote(reference.pullReference)}: ` +
    `failed to resolve reference ${goQuote(reference.pullReference)}: pull access denied, repository does not exist or may require authorization: ` +
    'authorization failed',
  unavailable: (reference: ParsedReference, detail: string) => {
    const target = reference.digest ?? reference.tag ?? 'latest';
    const url = `https://${registryHost(reference.domain)}/v2/${reference.path}/manifests/${target}`;
    return (
      `rpc error: code = Unknown desc = failed to pull and unpack image ${goQuote(reference.pullReference)}: ` +
      `failed to resolve reference ${goQuote(reference.pullReference)}: failed to do request: Head ${goQuote(url)}: ${detail}`
    );
  },
  platformMissing: (reference: ParsedReference) =>
    `rpc error: code = NotFound desc = failed to pull and unpack image ${goQuote(reference.pullReference)}: ` +
    'no match for platform in manifest: not found',
} as const;
