/**
 * The images on a node, as the container runtime finds them: every name is normalised (`nginx` on the
 * node is `docker.io/library/nginx:latest`; a reference with both tag and digest is found by its digest),
 * and an image with a repository digest also answers to `name@digest` for each of its repositories, as
 * containerd records repository digests on pull. Pure.
 */
import { ApiError, ErrorCode } from '../common/errors.js';
import { parseReference, validateDigest } from '../reference/parse.js';
import type { ParsedReference } from '../reference/parsed-reference.js';
import { type PulledRecord, type RecordCredentials, recordedSecretIdentity, secretIdentity, serviceAccountIdentity } from './credentials.js';
import { type NodeImageInput, PULLED_BY } from './decision.types.js';

export interface NodeImage {
  index: number;
  /** Normalised pull references (`docker.io/library/nginx:1.25`, `…@sha256:…`). */
  pullReferences: Set<string>;
  /** Normalised repository names. */
  names: Set<string>;
  /** The repository digest, plus every digest named by a reference. */
  digests: Set<string>;
  digest: string | null;
  record: PulledRecord;
}

export interface NodeImages {
  images: NodeImage[];
  warnings: string[];
}

const invalid = (message: string): ApiError => new ApiError(ErrorCode.InvalidRequest, message);

function normalisedName(repository: string, field: string): string {
  const parsed = parseReference(repository);
  if (!parsed.ok) throw invalid(`${field}: ${JSON.stringify(repository)} is not a repository name: ${parsed.error}`);
  return parsed.reference.name;
}

/** Builds the node's image index; `namespace` is the default namespace of recorded secrets (the pod's). */
export function indexNodeImages(inputs: readonly NodeImageInput[] | undefined, namespace: string): NodeImages {
  const warnings: string[] = [];
  const images = (inputs ?? []).map((entry, index): NodeImage => {
    const field = `node.images[${index}]`;
    if (!Array.isArray(entry.references)) throw invalid(`${field}.references must be an array of image references`);
    if (entry.digest !== undefined && entry.digest !== null) {
      const error = validateDigest(entry.digest);
      if (error !== null) throw invalid(`${field}.digest: ${JSON.stringify(entry.digest)}: ${error}`);
    }
    if (entry.pulledBy !== undefined && entry.pulledBy !== null && !PULLED_BY.includes(entry.pulledBy)) {
      throw invalid(`${field}.pulledBy must be one of ${PULLED_BY.join(', ')}`);
    }
    const image: NodeImage = {
      index,
      pullReferences: new Set(),
      names: new Set(),
      digests: new Set(),
      digest: entry.digest ?? null,
      record: { pulledBy: entry.pulledBy ?? (entry.pulledWith !== undefined && entry.pulledWith !== null ? 'kubelet' : 'preloaded'), credentials: new Map() },
    };
    if (image.digest !== null) image.digests.add(image.digest);
    entry.references.forEach((text, position) => {
      const parsed = parseReference(text);
      if (!parsed.ok) {
        warnings.push(`${field}.references[${position}] ${JSON.stringify(text)} is not an image reference (${parsed.error}); ignored`);
        return;
      }
      const reference = parsed.reference;
      image.pullReferences.add(reference.pullReference);
      image.names.add(reference.name);
      if (reference.digest !== null) {
        image.digests.add(reference.digest);
        image.digest ??= reference.digest;
      }
    });
    for (const name of image.names) for (const digest of image.digests) image.pullReferences.add(`${name}@${digest}`);
    const recordWarnings: string[] = [];
    (entry.pulledWith ?? []).forEach((credential, position) => {
      const at = `${field}.pulledWith[${position}]`;
      const kinds = [credential.anonymous === true, credential.secret !== undefined && credential.secret !== null, credential.serviceAccount !== undefined && credential.serviceAccount !== null].filter(Boolean).length;
      if (kinds !== 1) throw invalid(`${at} must have exactly one of anonymous (true), secret, serviceAccount`);
      const names = credential.repository !== undefined && credential.repository !== null ? [normalisedName(credential.repository, `${at}.repository`)] : [...image.names];
      // The record's credentialMapping is per repository name (image_pull_manager.go writePulledRecordIfChanged:
      // trimImageTagDigest); a recorded Secret's hash is that of its credential for that repository.
      const secret = credential.secret ? secretIdentity(credential.secret, namespace, `${at}.secret`) : null;
      for (const name of names) {
        let record = image.record.credentials.get(name);
        if (record === undefined) {
          record = { nodeAccessible: false, secrets: [], serviceAccounts: [], assumed: [] } satisfies RecordCredentials;
          image.record.credentials.set(name, record);
        }
        if (credential.anonymous === true) record.nodeAccessible = true;
        if (secret !== null) {
          const recorded = recordedSecretIdentity(secret, name);
          record.secrets.push(recorded.identity);
          record.assumed.push(...recorded.assumed);
          recordWarnings.push(...recorded.warnings);
        }
        if (credential.serviceAccount) record.serviceAccounts.push(serviceAccountIdentity(credential.serviceAccount, namespace));
      }
    });
    if (image.record.pulledBy !== 'kubelet' && (entry.pulledWith?.length ?? 0) > 0) {
      warnings.push(`${field}: pulledWith is ignored because pulledBy is ${image.record.pulledBy} (only a completed kubelet pull records credentials)`);
      image.record.credentials.clear();
    } else {
      warnings.push(...recordWarnings);
    }
    return image;
  });
  return { images, warnings };
}

/** The image the runtime finds for the requested reference (IfNotPresent / Never presence check). */
export function findPresent(node: NodeImages, requested: ParsedReference): NodeImage | null {
  for (const image of node.images) if (image.pullReferences.has(requested.pullReference)) return image;
  return null;
}

/** An image on the node holding this digest under any name (content is addressed by digest). */
export function findByDigest(node: NodeImages, digests: readonly (string | null | undefined)[]): NodeImage | null {
  for (const image of node.images) for (const digest of digests) if (digest && image.digests.has(digest)) return image;
  return null;
}

/** The digest the node has for the requested reference. */
export function localDigestOf(image: NodeImage, requested: ParsedReference): string | null {
  if (requested.digest !== null && image.digests.has(requested.digest)) return requested.digest;
  return image.digest;
}
