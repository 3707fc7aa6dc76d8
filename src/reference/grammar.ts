/**
 * The pieces of the distribution/reference grammar, one small scanner each, named after the Go
 * regular expressions they implement (see ../shared/spec/reference-grammar.md).
 *
 * They are hand-written character scanners rather than regular expressions because JavaScript's
 * backtracking engine turns the grammar's nested repetitions into super-linear work on hostile
 * input; every function here looks at each character a bounded number of times.
 */

const CH_0 = 48;
const CH_9 = 57;
const CH_A = 65;
const CH_Z = 90;
const CH_a = 97;
const CH_f = 102;
const CH_z = 122;
const CH_DOT = 46;
const CH_DASH = 45;
const CH_UNDERSCORE = 95;
const CH_PLUS = 43;
const CH_COLON = 58;
const CH_SLASH = 47;
const CH_LBRACKET = 91;
const CH_RBRACKET = 93;
const CH_EQUALS = 61;

// Character classes as bit flags in a 128-entry table: one lookup per character instead of a chain
// of comparisons (the parser's hot loops run over every character of every reference).
const LOWER = 1;
const UPPER = 2;
const DIGIT = 4;
const HEX_LOWER = 8; // a-f
const HEX_UPPER = 16; // A-F
const CLASS = new Uint8Array(128);
for (let c = CH_a; c <= CH_z; c++) CLASS[c] |= LOWER;
for (let c = CH_A; c <= CH_Z; c++) CLASS[c] |= UPPER;
for (let c = CH_0; c <= CH_9; c++) CLASS[c] |= DIGIT;
for (let c = CH_a; c <= CH_f; c++) CLASS[c] |= HEX_LOWER;
for (let c = CH_A; c <= CH_A + 5; c++) CLASS[c] |= HEX_UPPER;

// charCodeAt never exceeds 0xffff; CLASS[c] is undefined (falsy) for c >= 128, so `& flag` is 0.
const has = (c: number, flags: number): boolean => (CLASS[c] & flags) !== 0;
const isDigit = (c: number): boolean => has(c, DIGIT);
const isLower = (c: number): boolean => has(c, LOWER);
const isUpper = (c: number): boolean => has(c, UPPER);
/** `[a-z0-9]` */
const isAlphanumeric = (c: number): boolean => has(c, LOWER | DIGIT);
/** `[a-zA-Z0-9]` */
const isDomainAlphanumeric = (c: number): boolean => has(c, LOWER | UPPER | DIGIT);
/** ASCII `\w` */
const isWord = (c: number): boolean => has(c, LOWER | UPPER | DIGIT) || c === CH_UNDERSCORE;
const isHex = (c: number): boolean => has(c, DIGIT | HEX_LOWER | HEX_UPPER);
const isLowerHex = (c: number): boolean => has(c, DIGIT | HEX_LOWER);

/**
 * pathComponent = alphanumeric (separator alphanumeric)*, separator = `[._]` | `__` | `[-]+`.
 * Returns the index just after the component starting at `i`, or -1 when none starts there.
 * Because separators never contain alphanumerics, the match is deterministic: no backtracking.
 */
function scanPathComponent(s: string, i: number, end: number): number {
  if (i >= end || !isAlphanumeric(s.charCodeAt(i))) return -1;
  i++;
  for (;;) {
    while (i < end && isAlphanumeric(s.charCodeAt(i))) i++;
    if (i >= end) return i;
    const c = s.charCodeAt(i);
    let j: number;
    if (c === CH_DOT) {
      j = i + 1;
    } else if (c === CH_UNDERSCORE) {
      j = i + 1 < end && s.charCodeAt(i + 1) === CH_UNDERSCORE ? i + 2 : i + 1;
    } else if (c === CH_DASH) {
      j = i + 1;
      while (j < end && s.charCodeAt(j) === CH_DASH) j++;
    } else {
      return i;
    }
    // A separator must be followed by an alphanumeric; otherwise the component ends before it.
    if (j >= end || !isAlphanumeric(s.charCodeAt(j))) return i;
    i = j + 1;
  }
}

/** remoteName = pathComponent ("/" pathComponent)* — must cover s[start, end) exactly. */
export function isRemoteName(s: string, start: number, end: number): boolean {
  let i = start;
  for (;;) {
    i = scanPathComponent(s, i, end);
    if (i < 0) return false;
    if (i === end) return true;
    if (s.charCodeAt(i) !== CH_SLASH) return false;
    i++;
  }
}

/**
 * domainNameComponent = `[a-zA-Z0-9]` | `[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`; domainName joins them
 * with dots. Returns the index after the domain name starting at `i`, or -1.
 */
function scanDomainName(s: string, i: number, end: number): number {
  for (;;) {
    if (i >= end || !isDomainAlphanumeric(s.charCodeAt(i))) return -1;
    let last = s.charCodeAt(i);
    i++;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (!isDomainAlphanumeric(c) && c !== CH_DASH) break;
      last = c;
      i++;
    }
    if (last === CH_DASH) return -1; // a component may not end in '-'
    if (i < end && s.charCodeAt(i) === CH_DOT) {
      i++;
      continue;
    }
    return i;
  }
}

/** IPv6 host = `\[[a-fA-F0-9:]+\]`. Returns the index after `]`, or -1. */
function scanIPv6Host(s: string, i: number, end: number): number {
  if (i >= end || s.charCodeAt(i) !== CH_LBRACKET) return -1;
  let j = i + 1;
  while (j < end) {
    const c = s.charCodeAt(j);
    if (!isHex(c) && c !== CH_COLON) break;
    j++;
  }
  if (j === i + 1 || j >= end || s.charCodeAt(j) !== CH_RBRACKET) return -1;
  return j + 1;
}

/** domain = host (":" port)?, host = domainName | IPv6 host — must cover s[start, end) exactly. */
export function isDomain(s: string, start: number, end: number): boolean {
  let i = start < end && s.charCodeAt(start) === CH_LBRACKET ? scanIPv6Host(s, start, end) : scanDomainName(s, start, end);
  if (i < 0) return false;
  if (i === end) return true;
  if (s.charCodeAt(i) !== CH_COLON) return false;
  i++;
  if (i >= end) return false;
  while (i < end) {
    if (!isDigit(s.charCodeAt(i))) return false;
    i++;
  }
  return true;
}

/** tag = `[\w][\w.-]{0,127}` — must cover s[start, end) exactly. */
export function isTag(s: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < 1 || length > 128 || !isWord(s.charCodeAt(start))) return false;
  for (let i = start + 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isWord(c) && c !== CH_DOT && c !== CH_DASH) return false;
  }
  return true;
}

export const DIGEST_NOT_SHAPED = -1;
export const DIGEST_SHAPED = 0;
/** Shaped, and everything after the colon is lower-case hex (what go-digest requires of known algorithms). */
export const DIGEST_SHAPED_LOWER_HEX = 1;

/**
 * digest (as the reference pattern sees it) =
 * `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}` — must cover s[start, end).
 * Also says whether the hex is all lower case, so the common valid digest is checked in one pass.
 */
export function scanDigest(s: string, start: number, end: number): number {
  let i = start;
  for (;;) {
    if (i >= end) return DIGEST_NOT_SHAPED;
    const first = s.charCodeAt(i);
    if (!isLower(first) && !isUpper(first)) return DIGEST_NOT_SHAPED;
    i++;
    while (i < end && isDomainAlphanumeric(s.charCodeAt(i))) i++;
    if (i >= end) return DIGEST_NOT_SHAPED;
    const c = s.charCodeAt(i);
    if (c === CH_COLON) break;
    if (c !== CH_DASH && c !== CH_UNDERSCORE && c !== CH_PLUS && c !== CH_DOT) return DIGEST_NOT_SHAPED;
    i++;
  }
  i++; // ':'
  if (end - i < 32) return DIGEST_NOT_SHAPED;
  let lowerHex = true;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isHex(c)) return DIGEST_NOT_SHAPED;
    if (lowerHex && !isLowerHex(c)) lowerHex = false;
  }
  return lowerHex ? DIGEST_SHAPED_LOWER_HEX : DIGEST_SHAPED;
}

/** identifier = `[a-f0-9]{64}` over the whole string. */
export function isIdentifier(s: string): boolean {
  if (s.length !== 64) return false;
  for (let i = 0; i < 64; i++) if (!isLowerHex(s.charCodeAt(i))) return false;
  return true;
}

/** go-digest's DigestRegexpAnchored: `^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`. */
export function isGoDigestShaped(s: string): boolean {
  const end = s.length;
  let i = 0;
  for (;;) {
    const runStart = i;
    while (i < end && isAlphanumeric(s.charCodeAt(i))) i++;
    if (i === runStart || i >= end) return false;
    const c = s.charCodeAt(i);
    if (c === CH_COLON) break;
    if (c !== CH_DOT && c !== CH_PLUS && c !== CH_UNDERSCORE && c !== CH_DASH) return false;
    i++;
  }
  i++;
  if (i >= end) return false;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isDomainAlphanumeric(c) && c !== CH_EQUALS && c !== CH_UNDERSCORE && c !== CH_DASH) return false;
  }
  return true;
}

/** `[a-f0-9]` over the whole string. */
export function isLowerHexString(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isLowerHex(s.charCodeAt(i))) return false;
  return true;
}

/** True when lower-casing could change `s`: it has an ASCII upper-case letter or any non-ASCII character. */
export function mayChangeWhenLowerCased(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || isUpper(c)) return true;
  }
  return false;
}
