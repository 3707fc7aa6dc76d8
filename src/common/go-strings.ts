/**
 * Go's white space, for the checks Kubernetes writes as `s != strings.TrimSpace(s)` (the kubelet's allowlist
 * patterns, the API server's image field). JavaScript's `trim()` is not the same set: it strips U+FEFF (a
 * byte-order mark, not white space in Go) and keeps U+0085 (NEL, white space in Go), so a port that used it
 * would accept what Kubernetes rejects and the other way round, with a different error text.
 *
 * Go (src/strings/strings.go `TrimSpace`, src/unicode/graphic.go `IsSpace`): TrimSpace cuts leading and
 * trailing runes for which unicode.IsSpace is true. IsSpace: in the Latin-1 range '\t', '\n', '\v', '\f',
 * '\r', ' ', U+0085 (NEL), U+00A0 (NBSP); above it, the Unicode White_Space property (unicode.White_Space:
 * U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). No code point above U+FFFF has it, so
 * UTF-16 code units can be tested one at a time.
 */

/** `unicode.IsSpace(r)` of Go. */
export function goIsSpace(codePoint: number): boolean {
  if (codePoint <= 0xff) {
    // unicode.IsSpace, Latin-1 branch
    return (codePoint >= 0x09 && codePoint <= 0x0d) || codePoint === 0x20 || codePoint === 0x85 || codePoint === 0xa0;
  }
  // unicode.White_Space above Latin-1
  return (
    codePoint === 0x1680 ||
    (codePoint >= 0x2000 && codePoint <= 0x200a) ||
    codePoint === 0x2028 ||
    codePoint === 0x2029 ||
    codePoint === 0x202f ||
    codePoint === 0x205f ||
    codePoint === 0x3000
  );
}

/** `strings.TrimSpace(s)` of Go. */
export function goTrimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && goIsSpace(text.charCodeAt(start))) start++;
  while (end > start && goIsSpace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** `s != strings.TrimSpace(s)`: leading or trailing white space as Go sees it. */
export function hasGoSurroundingSpace(text: string): boolean {
  return text.length > 0 && (goIsSpace(text.charCodeAt(0)) || goIsSpace(text.charCodeAt(text.length - 1)));
}
