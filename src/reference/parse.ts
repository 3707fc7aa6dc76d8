/**
 * Kubernetes' image reference parsing: `ParseNormalizedNamed` from github.com/distribution/reference
 * v0.6 with go-digest v1.0.0, including its exact error texts and quirks
 * (../shared/spec/reference-grammar.md). Pure: no I/O, no Nest.
 */
import {
  DIGEST_NOT_SHAPED,
  DIGEST_SHAPED_LOWER_HEX,
  scanDigest,
  isDomain,
  isGoDigestShaped,
  isIdentifier,
  isLowerHexString,
  isRemoteName,
  isTag,
  mayChangeWhenLowerCased,
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

const SHA256_DIGEST_LENGTH = 'sha256:'.length + 64;
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

/** Where a name ends and its tag and digest start, found from `from` on. */
interface Suffix {
  nameEnd: number;
  tag: string | null;
  digest: string | null;
  /** The digest is sha256 with 64 lower-case hex characters: valid for go-digest without another look. */
  digestValid: boolean;
}

/** Parts as matched, with what the match already proved about the digest. */
interface MatchedParts extends ReferenceParts {
  digestValid?: boolean;
}

/**
 * Splits `(?::(tag))?(?:@(digest))?$` off the end of s[from..], checking the tag and the digest's shape.
 * Neither name nor tag may contain '@', so the first '@' starts the digest; the path cannot contain
 * ':' and the tag cannot contain '/', so a tag starts at the first ':' after the last '/' (a ':'
 * before it can only belong to a domain's port or IPv6 host). The split is therefore unique.
 */
function splitSuffix(s: string, from: number): Suffix | null {
  const length = s.length;
  const at = s.indexOf('@', from);
  const nameAndTagEnd = at < 0 ? length : at;
  if (nameAndTagEnd === from) return null;
  const digestShape = at < 0 ? DIGEST_NOT_SHAPED : scanDigest(s, at + 1, length);
  if (at >= 0 && digestShape === DIGEST_NOT_SHAPED) return null;
  const lastSlash = s.lastIndexOf('/', nameAndTagEnd - 1);
  let colon = s.indexOf(':', Math.max(lastSlash + 1, from));
  if (colon >= nameAndTagEnd) colon = -1;
  if (colon >= 0 && !isTag(s, colon + 1, nameAndTagEnd)) return null;
  return {
    nameEnd: colon < 0 ? nameAndTagEnd : colon,
    tag: colon < 0 ? null : s.slice(colon + 1, nameAndTagEnd),
    digest: at < 0 ? null : s.slice(at + 1),
    digestValid: digestShape === DIGEST_SHAPED_LOWER_HEX && length - at - 1 === SHA256_DIGEST_LENGTH && s.startsWith('sha256:', at + 1),
  };
}

/** The ReferenceRegexp match: `^(name)(?::(tag))?(?:@(digest))?$`, or null when it does not match. */
export function matchReference(s: string): MatchedParts | null {
  const suffix = splitSuffix(s, 0);
  if (suffix === null) return null;
  const { nameEnd, tag, digest, digestValid } = suffix;
  // name = (domain "/")? remoteName; the optional domain is tried first, as the regex does.
  const firstSlash = s.indexOf('/');
  if (firstSlash > 0 && firstSlash < nameEnd && isDomain(s, 0, firstSlash) && isRemoteName(s, firstSlash + 1, nameEnd)) {
    return { domain: s.slice(0, firstSlash), path: s.slice(firstSlash + 1, nameEnd), tag, digest, digestValid };
  }
  if (isRemoteName(s, 0, nameEnd)) return { domain: '', path: s.slice(0, nameEnd), tag, digest, digestValid };
  return null;
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
  return checkParts(parts);
}

/** Parse's checks after the pattern matched: path length, then go-digest validation. */
function checkParts(parts: MatchedParts): ReferenceParts | string {
  if (parts.path.length > MAX_PATH_LENGTH) return ReferenceErrors.nameTooLong;
  if (parts.digest !== null && parts.digestValid !== true) {
    const digestError = validateDigest(parts.digest);
    if (digestError !== null) return digestError;
  }
  return parts;
}

/**
 * Go's `splitDockerDomain`, as positions in `s`: the domain, where the remainder starts in `s`, and the
 * `library/` prefix Docker Hub adds. `domainInInput` means `domain + "/" + remainder` is `s` itself.
 */
function locateDomain(s: string): { domain: string; remainderStart: number; prefix: string; domainInInput: boolean } {
  const slash = s.indexOf('/');
  if (slash < 0) return { domain: DEFAULT_DOMAIN, remainderStart: 0, prefix: OFFICIAL_REPO_PREFIX, domainInInput: false };
  const first = s.slice(0, slash);
  if (first === LEGACY_DEFAULT_DOMAIN) {
    const nested = s.indexOf('/', slash + 1) >= 0;
    return { domain: DEFAULT_DOMAIN, remainderStart: slash + 1, prefix: nested ? '' : OFFICIAL_REPO_PREFIX, domainInInput: false };
  }
  if (first === LOCALHOST || first.includes('.') || first.includes(':') || (mayChangeWhenLowerCased(first) && goToLower(first) !== first)) {
    const isHub = first === DEFAULT_DOMAIN && s.indexOf('/', slash + 1) < 0;
    return { domain: first, remainderStart: slash + 1, prefix: isHub ? OFFICIAL_REPO_PREFIX : '', domainInInput: !isHub };
  }
  return { domain: DEFAULT_DOMAIN, remainderStart: 0, prefix: '', domainInInput: false };
}

/** `ParseNormalizedNamed`: the normalised parts, or the error text Kubernetes reports. */
export function parseNormalizedParts(s: string): ReferenceParts | string {
  if (isIdentifier(s)) return ReferenceErrors.identifier(s);
  const { domain, remainderStart, prefix, domainInInput } = locateDomain(s);
  const colon = s.indexOf(':', remainderStart);
  const remoteInInput = colon < 0 ? s.slice(remainderStart) : s.slice(remainderStart, colon);
  if (mayChangeWhenLowerCased(remoteInInput)) {
    const remote = prefix + remoteInInput;
    if (goToLower(remote) !== remote) return ReferenceErrors.remoteUppercase(remote);
  }
  // Kubernetes parses domain + "/" + remainder. When that string is the input, parse it as it is.
  if (domainInInput) return parseParts(s);
  // Otherwise the domain is docker.io, which is a valid domain: the match succeeds exactly when the
  // remainder is path[:tag][@digest], so match that in place instead of building a new string.
  const suffix = splitSuffix(s, remainderStart);
  if (suffix !== null && isRemoteName(s, remainderStart, suffix.nameEnd)) {
    const { tag, digest, digestValid } = suffix;
    return checkParts({ domain, path: prefix + s.slice(remainderStart, suffix.nameEnd), tag, digest, digestValid });
  }
  // No match: let Parse itself choose the error text (rare path, so the extra string is fine).
  return parseParts(`${domain}/${prefix}${s.slice(remainderStart)}`);
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
