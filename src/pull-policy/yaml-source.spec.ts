import { describe, expect, it } from 'vitest';
import { ApiError } from '../common/errors.js';
import { MAX_NESTING } from '../common/nesting.js';
import { MAX_FULL_YAML_CHARACTERS, parseYamlSource } from './yaml-source.js';

function refusal(text: string): ApiError {
  try {
    parseYamlSource(text, 'manifests');
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected the YAML to be refused');
}

/** A block mapping nested `levels` deep, one key per level (what the fast reader would read, were it shallow). */
function blockMaps(levels: number): string {
  let text = '';
  for (let i = 0; i < levels; i++) text += `${' '.repeat(i)}a:\n`;
  return `${text}${' '.repeat(levels)}b: 1\n`;
}

function depthOf(value: unknown): number {
  let depth = 0;
  let current = value;
  while (typeof current === 'object' && current !== null) {
    depth++;
    current = Array.isArray(current) ? current[0] : Object.values(current)[0];
  }
  return depth;
}

describe('parseYamlSource on hostile input', () => {
  it.each([1_000, 10_000, 200_000])('refuses flow sequences nested %i deep with InvalidRequest, naming the limit and the place', (levels) => {
    const error = refusal(`a: ${'['.repeat(levels)}${']'.repeat(levels)}\n`);
    expect(error.code).toBe('InvalidRequest');
    expect(error.message).toMatch(new RegExp(`^manifests: YAML nests deeper than ${MAX_NESTING} levels .* at line 1, column \\d+$`));
  });

  it('refuses flow mappings and compact sequences nested past the limit', () => {
    expect(refusal(`a: ${'{b: '.repeat(5_000)}1${'}'.repeat(5_000)}\n`).code).toBe('InvalidRequest');
    expect(refusal(`${'- '.repeat(100_000)}x\n`).code).toBe('InvalidRequest');
  });

  it('reads block mappings up to the limit (fast reader) and refuses deeper ones (the fast reader declines, the full path refuses)', () => {
    expect(depthOf(parseYamlSource(blockMaps(MAX_NESTING - 1), 'manifests').values[0])).toBe(MAX_NESTING);
    expect(refusal(blockMaps(MAX_NESTING + 5)).code).toBe('InvalidRequest');
    expect(refusal(blockMaps(1_000)).code).toBe('InvalidRequest');
  });

  it('refuses aliases that expand past the limit, each anchor measured once', () => {
    let chain = 'a0: &a0 [1]\n';
    for (let i = 1; i <= 200; i++) chain += `a${i}: &a${i} [*a${i - 1}]\n`;
    const error = refusal(chain);
    expect(error.code).toBe('InvalidRequest');
    expect(error.message).toMatch(/with its aliases expanded, nests deeper than 128 levels/);
    // A short chain is fine: same values as written.
    const short = parseYamlSource('a: &a [1]\nb: &b [*a]\nc: [*b]\n', 'manifests').values[0];
    expect(short).toEqual({ a: [1], b: [[1]], c: [[[1]]] });
  });

  it('reads a map of 40 000 keys that the fast reader declines (duplicate keys are found in one pass, not by pairwise comparison)', () => {
    let text = 'base: &b {x: 1}\nitems:\n';
    for (let i = 0; i < 40_000; i++) text += `  k${i}: v\n`;
    expect(text.length).toBeLessThan(MAX_FULL_YAML_CHARACTERS);
    const value = parseYamlSource(text, 'manifests').values[0] as { items: Record<string, string> };
    expect(Object.keys(value.items)).toHaveLength(40_000);
  });

  it('gives the full parser at most MAX_FULL_YAML_CHARACTERS, and the fast reader any size', () => {
    const blockStyle = `items:\n${'  - name: app\n    image: nginx:1.25\n'.repeat(40_000)}`;
    expect(blockStyle.length).toBeGreaterThan(MAX_FULL_YAML_CHARACTERS);
    expect((parseYamlSource(blockStyle, 'manifests').values[0] as { items: unknown[] }).items).toHaveLength(40_000);
    const anchored = `x: &x 1\n${blockStyle}`;
    const error = refusal(anchored);
    expect(error.code).toBe('PayloadTooLarge');
    expect(error.message).toMatch(new RegExp(`^manifests: YAML beyond plain block style .* at most ${MAX_FULL_YAML_CHARACTERS} characters \\(this text has ${anchored.length}\\)`));
  });

  it('still reports duplicate keys first, with the position of the duplicate, as the yaml package does', () => {
    const error = refusal('kind: Pod\nmetadata: {name: a, name: b}\nkind: Job\n');
    expect(error.code).toBe('InvalidManifest');
    expect(error.message).toBe('manifests: malformed YAML at line 2, column 21: Map keys must be unique');
    expect(refusal('a: &x 1\na: 2\n').message).toBe('manifests: malformed YAML at line 2, column 1: Map keys must be unique');
    // A syntax error before the duplicate is the one reported.
    expect(refusal('a: [1\nb: 1\nb: 2\n').message).toBe(
      'manifests: malformed YAML at line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    );
  });

  it('refuses billion-laughs expansion', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const error = refusal(`${laughs.join('\n')}\n`);
    expect(error.code).toBe('InvalidRequest');
    expect(error.message).toMatch(/^manifests: YAML: its aliases expand \d+ written nodes to \d+; at most twice as many, or 10000 more, are read/);
  });

  it('refuses a few kilobytes of aliases to a large anchor (every expanded container costs the walker)', () => {
    const containers = Array.from({ length: 300 }, (_, i) => `      - {name: c${i}, image: nginx}`).join('\n');
    const text = `apiVersion: v1\nkind: List\nitems:\n- &p\n  apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n${containers}\n${'- *p\n'.repeat(300)}`;
    expect(text.length).toBeLessThan(20_000);
    expect(refusal(text).code).toBe('InvalidRequest');
  });

  it('keeps an edit the fast reader cannot place within the full parser\'s bound', () => {
    const big = `apiVersion: v1\nkind: ConfigMap\ndata:\n${Array.from({ length: 60_000 }, (_, i) => `  k${i}: v${i}\n`).join('')}`;
    const source = parseYamlSource(`${big}---\nkind: Pod\n`, 'manifests');
    expect(source.fast).not.toBeNull();
    expect(() => source.documents).toThrow(/at most 524288 characters/);
  });
});
