import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goIsSpace, goTrimSpace, hasGoSurroundingSpace } from './go-strings.js';

// Each row: the code point, whether Go's unicode.IsSpace says it is white space, and where that comes from
// (src/unicode/graphic.go IsSpace; src/unicode/tables.go _White_Space). JavaScript's trim() is noted where it differs.
const TABLE: Array<[number, boolean, string]> = [
  [0x09, true, 'graphic.go IsSpace: \'\\t\''],
  [0x0a, true, 'graphic.go IsSpace: \'\\n\''],
  [0x0b, true, 'graphic.go IsSpace: \'\\v\''],
  [0x0c, true, 'graphic.go IsSpace: \'\\f\''],
  [0x0d, true, 'graphic.go IsSpace: \'\\r\''],
  [0x20, true, 'graphic.go IsSpace: \' \''],
  [0x85, true, 'graphic.go IsSpace: U+0085 (NEL) — JavaScript trim() keeps it'],
  [0xa0, true, 'graphic.go IsSpace: U+00A0 (NBSP)'],
  [0x1680, true, 'tables.go _White_Space: U+1680'],
  [0x2000, true, 'tables.go _White_Space: U+2000–U+200A'],
  [0x200a, true, 'tables.go _White_Space: U+2000–U+200A'],
  [0x2028, true, 'tables.go _White_Space: U+2028'],
  [0x2029, true, 'tables.go _White_Space: U+2029'],
  [0x202f, true, 'tables.go _White_Space: U+202F'],
  [0x205f, true, 'tables.go _White_Space: U+205F'],
  [0x3000, true, 'tables.go _White_Space: U+3000'],
  [0xfeff, false, 'not in _White_Space (BOM) — JavaScript trim() strips it'],
  [0x180e, false, 'not in _White_Space since Unicode 6.3 (Mongolian vowel separator)'],
  [0x200b, false, 'not in _White_Space (zero width space)'],
  [0x1c, false, 'graphic.go IsSpace Latin-1 branch: file separator is not listed'],
  [0x1f, false, 'graphic.go IsSpace Latin-1 branch: unit separator is not listed'],
  [0x00, false, 'graphic.go IsSpace Latin-1 branch: NUL is not listed'],
  [0x41, false, 'a letter'],
];

describe('Go white space (unicode.IsSpace, strings.TrimSpace)', () => {
  it.each(TABLE)('U+%s → %s (%s)', (codePoint, expected) => {
    expect(goIsSpace(codePoint)).toBe(expected);
    const char = String.fromCodePoint(codePoint);
    expect(goTrimSpace(`${char}a${char}`)).toBe(expected ? 'a' : `${char}a${char}`);
    expect(hasGoSurroundingSpace(`a${char}`)).toBe(expected);
  });

  it.each([
    ['  a b  ', 'a b'],
    ['\t\n a\u3000', 'a'],
    ['\u0085a', 'a'],
    ['\ufeffa', '\ufeffa'],
    ['', ''],
    [' \u00a0 ', ''],
  ])('TrimSpace(%j) = %j (strings.go TrimSpace)', (input, expected) => {
    expect(goTrimSpace(input)).toBe(expected);
  });

  it('agrees with the table for every BMP code point', () => {
    const spaces = new Set(TABLE.filter(([, space]) => space).map(([codePoint]) => codePoint));
    for (let codePoint = 0x2001; codePoint < 0x200a; codePoint++) spaces.add(codePoint);
    for (let codePoint = 0; codePoint <= 0xffff; codePoint++) expect(goIsSpace(codePoint), codePoint.toString(16)).toBe(spaces.has(codePoint));
  });

  it('TrimSpace leaves no Go space at either end and removes nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ' ', '\u0085', '\ufeff', '\u3000', 'é', '\t') }), (text) => {
        const trimmed = goTrimSpace(text);
        expect(text.includes(trimmed)).toBe(true);
        expect(hasGoSurroundingSpace(trimmed)).toBe(false);
        expect(hasGoSurroundingSpace(text)).toBe(trimmed !== text);
      }),
    );
  });
});
