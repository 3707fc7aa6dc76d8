/**
 * Kubernetes' image reference parsing: `ParseNormalizedNamed` from github.com/distribution/reference
 * v0.6 with go-digest v1.0.0, including its exact error texts and quirks
 * (../shared/spec/reference-grammar.md). Pure: no I/O, no Nest.
 */
import {
  hasAsciiUpper,
  isDigestShaped,
  isDomain,
  isGoDigestShaped,
  isIdentifier,
  isLowerHexString,
  isRemoteName,
  isTag,
} from './grammar.js';
import type { ParsedReference, ParseResult, PullPolicy } from './parsed-reference.js';

export const ReferenceErrors = {
  invalidFormat: 'invalid reference format',
  nameEmpty: 'repository name must have at least one component',
  nameUppercase: 'repository name must be lowercase',
  nameTooLong: 'repository name must not be more than 255 characters',
  digestInvalidFormat: 'invalid checksum digest format',
  digestInvalidLength: 'invalid checksum digest length',
  digestUnsupported: 'unsupported digest algorithm',
  identifier: (input: string) => `invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`,
  remoteUppercase: (remote: string) => `invalid reference format: repository name (${remote}) must be lowercase`,
} as const;

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const LOCALHOST = 'localhost';
/** NameTotalLengthMax: applies to the path, not the domain. */
const MAX_PATH_LENGTH = 255;

/** go-digest algorithms Kubernetes links, with their hex lengths. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** The parts `reference.Parse` finds; `domain` is "" when the name has no valid domain part. */
export interface ReferenceParts {
  domain: string;
  path: string;
  tag: string | null;
  digest: string | null;
}

/**
 * Go's strings.ToLower, which maps rune by rune: it differs from JavaScript's toLowerCase only for
 * U+0130 (İ → "i" in Go, "i̇" in JavaScript). The difference decides which error text is reported.
 */
export function goToLower(s: string): string {
  return s.replace(/\u0130/g, 'i').toLowerCase();
}

/** The ReferenceRegexp match: `^(name)(?::(tag))?(?:@(digest))?$`, or null when it does not match. */
export function matchReference(s: string): ReferenceParts | null {
  const length = s.length;
  // Neither name nor tag may contain '@', so the first '@' starts the digest.
  const at = s.indexOf('@');
  const nameAndTagEnd = at < 0 ? length : at;
  if (nameAndTagEnd === 0) return null;
  if (at >= 0 && !isDigestShaped(s, at + 1, length)) return null;

  // The path cannot contain ':' and the tag cannot contain '/', so a tag starts at the first ':'
  // after the last '/' (a ':' before it can only belong to the domain's port or IPv6 host).
  const lastSlash = s.lastIndexOf('/', nameAndTagEnd - 1);
  let colon = s.indexOf(':', lastSlash + 1);
  if (colon >= nameAndTagEnd) colon = -1;
  const nameEnd = colon < 0 ? nameAndTagEnd : colon;
  if (colon >= 0 && !isTag(s, colon + 1, nameAndTagEnd)) return null;

  // name = (domain "/")? remoteName; the optional domain is tried first, as the regex does.
  let domain: string;
  let path: string;
  const firstSlash = s.indexOf('/');
  if (firstSlash > 0 && firstSlash < nameEnd && isDomain(s, 0, firstSlash) && isRemoteName(s, firstSlash + 1, nameEnd)) {
    domain = s.slice(0, firstSlash);
    path = s.slice(firstSlash + 1, nameEnd);
  } else if (isRemoteName(s, 0, nameEnd)) {
    domain = '';
    path = s.slice(0, nameEnd);
  } else {
    return null;
  }
  return {
    domain,
    path,
    tag: colon < 0 ? null : s.slice(colon + 1, nameAndTagEnd),
    digest: at < 0 ? null : s.slice(at + 1),
  };
}

/** go-digest's Digest.Validate: the error text for an invalid digest, or null. */
export function validateDigest(digest: string): string | null {
  const colon = digest.indexOf(':');
  if (colon <= 0 || colon + 1 === digest.length) return ReferenceErrors.digestInvalidFormat;
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  const hexLength = Object.hasOwn(DIGEST_HEX_LENGTH, algorithm) ? DIGEST_HEX_LENGTH[algorithm] : undefined;
  if (hexLength === undefined) {
    return isGoDigestShaped(digest) ? ReferenceErrors.digestUnsupported : ReferenceErrors.digestInvalidFormat;
  }
  if (encoded.length !== hexLength) return ReferenceErrors.digestInvalidLength;
  return isLowerHexString(encoded) ? null : ReferenceErrors.digestInvalidFormat;
}

/** `reference.Parse`: the parts, or the error text. */
export function parseParts(s: string): ReferenceParts | string {
  const parts = matchReference(s);
  if (parts === null) {
    if (s === '') return ReferenceErrors.nameEmpty;
    if (matchReference(goToLower(s)) !== null) return ReferenceErrors.nameUppercase;
    return ReferenceErrors.invalidFormat;
  }
  if (parts.path.length > MAX_PATH_LENGTH) return ReferenceErrors.nameTooLong;
  if (parts.digest !== null) {
    const digestError = validateDigest(parts.digest);
    if (digestError !== null) return digestError;
  }
  return parts;
}

/** `splitDockerDomain`: where the registry host ends and what Docker Hub normalisation adds. */
export function splitDockerDomain(s: string): { domain: string; remainder: string } {
  const slash = s.indexOf('/');
  if (slash < 0) return { domain: DEFAULT_DOMAIN, remainder: OFFICIAL_REPO_PREFIX + s };
  const first = s.slice(0, slash);
  let domain: string;
  let remainder: string;
  if (first === LOCALHOST) {
    domain = first;
    remainder = s.slice(slash + 1);
  } else if (first === LEGACY_DEFAULT_DOMAIN) {
    domain = DEFAULT_DOMAIN;
    remainder = s.slice(slash + 1);
  } else if (first.includes('.') || first.includes(':') || goToLower(first) !== first) {
    domain = first;
    remainder = s.slice(slash + 1);
  } else {
    domain = DEFAULT_DOMAIN;
    remainder = s;
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** `ParseNormalizedNamed`: the normalised parts, or the error text Kubernetes reports. */
export function parseNormalizedParts(s: string): ReferenceParts | string {
  if (isIdentifier(s)) return ReferenceErrors.identifier(s);
  const { domain, remainder } = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remote = colon < 0 ? remainder : remainder.slice(0, colon);
  // Fast path: only an ASCII upper-case letter or a non-ASCII character can change under ToLower.
  if ((hasAsciiUpper(remote) || !isAscii(remote)) && goToLower(remote) !== remote) {
    return ReferenceErrors.remoteUppercase(remote);
  }
  return parseParts(`${domain}/${remainder}`);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/** The API server's default for an empty imagePullPolicy, given the parsed tag and digest. */
export function defaultPullPolicyOf(parts: Pick<ReferenceParts, 'tag' | 'digest'> | null): PullPolicy {
  if (parts === null) return 'IfNotPresent'; // parse errors are ignored: no tag, no digest
  const tag = parts.tag === null && parts.digest === null ? 'latest' : parts.tag;
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** `FamiliarName`: drop `docker.io/`, and `library/` when nothing nested follows it. */
export function familiarNameOf(domain: string, path: string): string {
  if (domain !== DEFAULT_DOMAIN) return domain === '' ? path : `${domain}/${path}`;
  if (path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = path.slice(OFFICIAL_REPO_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return path;
}

function suffixOf(tag: string | null, digest: string | null): string {
  return (tag === null ? '' : `:${tag}`) + (digest === null ? '' : `@${digest}`);
}

/** Every derived form of the contract's ParsedReference, from the parser's parts. */
export function toParsedReference(input: string, parts: ReferenceParts): ParsedReference {
  const { domain, path, tag, digest } = parts;
  const name = domain === '' ? path : `${domain}/${path}`;
  const familiarName = familiarNameOf(domain, path);
  return {
    input,
    name,
    domain,
    path,
    tag,
    digest,
    canonical: name + suffixOf(tag, digest),
    familiar: familiarName + suffixOf(tag, digest),
    familiarName,
    // ParseDockerRef: a digest wins over a tag; neither means `latest`.
    pullReference: digest !== null ? `${name}@${digest}` : `${name}:${tag ?? 'latest'}`,
    defaultPullPolicy: defaultPullPolicyOf(parts),
  };
}

/** Parse an image reference exactly as Kubernetes does. Never throws. */
export function parseReference(input: string): ParseResult {
  const parts = parseNormalizedParts(input);
  if (typeof parts === 'string') return { ok: false, input, error: parts };
  return { ok: true, reference: toParsedReference(input, parts) };
}
