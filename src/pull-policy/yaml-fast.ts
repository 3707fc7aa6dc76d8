/**
 * A fast reader for the plain block-style YAML that Kubernetes manifests are almost always written in.
 * It gives exactly what the full `yaml` Document path gives (the plain JavaScript values, and the few
 * positions the in-place edits need) for the subset of YAML it accepts, and declines everything else
 * (returns null), so the caller uses the full path: correctness never depends on this reader.
 *
 * Accepted: block mappings and block sequences (compact `- key: v` items, sequences at their key's
 * indentation), single-line plain scalars, single-line quoted scalars without escapes, empty flow
 * collections `{}` / `[]`, comments, `---` document markers (alone on their line, or with a comment),
 * LF or CRLF line breaks. Mapping keys must be strings (plain keys are resolved with the YAML 1.1 schema).
 *
 * Declined (full path): anchors, aliases, tags, merge keys, non-string keys, duplicate keys, `__proto__`
 * keys, block scalars (`|`, `>`), multi-line scalars, non-empty flow collections, escapes in double quotes,
 * explicit keys (`?`), directives, `...`, tabs, control characters, a byte order mark, lone CR, scalar
 * documents, anything malformed.
 */
import { Document, isScalar, type ScalarTag } from 'yaml';
import { MAX_NESTING } from '../common/nesting.js';

export type FastScalarType = 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE';

export interface FastScalar {
  kind: 'scalar';
  /** Start and end offsets of the value as written (quotes included), as the `yaml` package gives `range[0..1]`. */
  range: [number, number];
  type: FastScalarType;
}

/** An empty flow collection `{}` or `[]`. */
export interface FastFlow {
  kind: 'flow';
  range: [number, number];
}

export interface FastPair {
  key: string;
  keyStart: number;
  keyType: FastScalarType;
  value: FastNode;
}

export interface FastMap {
  kind: 'map';
  pairs: FastPair[];
  byKey: Map<string, FastPair>;
}

export interface FastSeq {
  kind: 'seq';
  items: FastNode[];
}

export type FastNode = FastScalar | FastFlow | FastMap | FastSeq;

export interface FastStream {
  /** Each document's root node (null for an empty document). */
  roots: Array<FastNode | null>;
  /** Each document as plain JavaScript (null for empty documents), as `Document.toJS()` gives it. */
  values: unknown[];
}

/** Thrown inside the reader when the input is outside the accepted subset. */
class Decline extends Error {}

const decline = (): never => {
  throw new Decline();
};

// The YAML 1.1 schema exactly as the full path builds it (parseAllDocuments with version 1.1 and merge keys).
const schemaDocument = new Document(null, { version: '1.1', merge: true, uniqueKeys: true });
const SCALAR_TAGS = schemaDocument.schema.tags.filter(
  (tag): tag is ScalarTag => tag.test !== undefined && (tag.default === true || tag.default === 'key'),
);
const RESOLVE_OPTIONS = schemaDocument.options;

/**
 * First characters that some non-string YAML 1.1 scalar (null, bool, int, float, timestamp, merge key)
 * can start with; a plain scalar starting with any other character is a string. (Checked against the
 * schema's tests in yaml-fast.spec.ts.)
 */
export const NON_STRING_FIRST = new Set([...'yYnNtTfFoOeE~+-.0123456789<']); // eE: the yaml package's YAML 1.1 float test takes `e0` (NaN)

/** The value of a plain scalar, resolved as the `yaml` package does (`findScalarTagByTest`). */
export function resolvePlain(source: string, atKey: boolean): { value: unknown; string: boolean } {
  if (source.length > 0 && !NON_STRING_FIRST.has(source[0])) return { value: source, string: true };
  const tag = SCALAR_TAGS.find((candidate) => (candidate.default === true || (atKey && candidate.default === 'key')) && candidate.test!.test(source));
  if (tag === undefined) return { value: source, string: true };
  let failed = false;
  const onError = (): void => {
    failed = true;
  };
  const resolved: unknown = tag.resolve(source, onError, RESOLVE_OPTIONS);
  if (failed) decline();
  return { value: isScalar(resolved) ? resolved.value : resolved, string: false };
}

// eslint-disable-next-line no-control-regex -- deliberate: text with control characters is left to the full YAML reader
const FORBIDDEN = /[\t\uFEFF\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029\uFFFE\uFFFF]|\r(?!\n)/;
/** Characters that cannot start a plain scalar here (`-` only when followed by a space, checked apart). */
const INDICATORS = new Set([...'?:,[]{}#&*!|>\'"%@`']);

/** Where `a` followed by `b` (char codes) first occurs in text[from, end), or -1: bounded to one line, unlike indexOf. */
function pairAt(text: string, a: number, b: number, from: number, end: number): number {
  for (let position = from; position + 1 < end; position++) {
    if (text.charCodeAt(position) === a && text.charCodeAt(position + 1) === b) return position;
  }
  return -1;
}

const enum Line {
  Blank,
  Content,
  Marker,
}

class Reader {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly indents: number[] = [];
  private readonly kinds: Line[] = [];
  /** Index of the first line after the node just read. */
  private next = 0;
  /** Lines of the current document: [docStart, docEnd). */
  private docEnd = 0;
  /** How many collections enclose the one being read: past MAX_NESTING the full (guarded) path takes over. */
  private depth = 0;

  constructor(private readonly text: string) {}

  read(): FastStream {
    const text = this.text;
    if (FORBIDDEN.test(text)) decline();
    this.splitLines();
    const roots: Array<FastNode | null> = [];
    const values: unknown[] = [];
    const count = this.kinds.length;
    let start = 0;
    let first = true;
    while (start <= count) {
      let end = start;
      while (end < count && this.kinds[end] !== Line.Marker) end++;
      this.docEnd = end;
      const content = this.nextContent(start);
      // Before the first marker, a document exists only when it has content; after a marker, always.
      if (!first || content < end) {
        if (content >= end) {
          roots.push(null);
          values.push(null);
        } else {
          const [node, value] = this.collectionAt(content, this.indents[content]);
          if (this.nextContent(this.next) < end) decline();
          roots.push(node);
          values.push(value);
        }
      }
      first = false;
      if (end >= count) break;
      start = end + 1;
    }
    return { roots, values };
  }

  private splitLines(): void {
    const text = this.text;
    let position = 0;
    const length = text.length;
    while (position <= length) {
      let newline = text.indexOf('\n', position);
      if (newline < 0) newline = length;
      let end = newline;
      if (end > position && text.charCodeAt(end - 1) === 13) end -= 1;
      let first = position;
      while (first < end && text.charCodeAt(first) === 32) first++;
      let kind = Line.Content;
      if (first === end || text.charCodeAt(first) === 35 /* # */) kind = Line.Blank;
      else if (first === position) {
        const head = text.slice(position, position + 3);
        if (head === '---' || head === '...') {
          if (head === '...') decline();
          let after = position + 3;
          while (after < end && text.charCodeAt(after) === 32) after++;
          if (after < end && (after === position + 3 || text.charCodeAt(after) !== 35)) decline();
          kind = Line.Marker;
        } else if (text.charCodeAt(position) === 37 /* % */) decline();
      }
      this.starts.push(position);
      this.ends.push(end);
      this.indents.push(first - position);
      this.kinds.push(kind);
      if (newline >= length) break;
      position = newline + 1;
    }
  }

  /** The first content line at or after `from` in the current document (docEnd when none). */
  private nextContent(from: number): number {
    let line = from;
    while (line < this.docEnd && this.kinds[line] !== Line.Content) line++;
    return line;
  }

  private isDash(line: number, column: number): boolean {
    const at = this.starts[line] + column;
    return this.text.charCodeAt(at) === 45 /* - */ && (at + 1 >= this.ends[line] || this.text.charCodeAt(at + 1) === 32);
  }

  /** A block collection whose first token is at `column` of `line`. */
  private collectionAt(line: number, column: number): [FastNode, unknown] {
    if (this.isDash(line, column)) return this.nestedSequence(line, column);
    if (++this.depth > MAX_NESTING) decline();
    const read = this.mapping(line, column);
    this.depth--;
    return read;
  }

  private nestedSequence(line: number, column: number): [FastSeq, unknown[]] {
    if (++this.depth > MAX_NESTING) decline();
    const read = this.sequence(line, column);
    this.depth--;
    return read;
  }

  private sequence(firstLine: number, indent: number): [FastSeq, unknown[]] {
    const items: FastNode[] = [];
    const values: unknown[] = [];
    let line = firstLine;
    for (;;) {
      const lineStart = this.starts[line];
      const end = this.ends[line];
      let at = lineStart + indent + 1;
      while (at < end && this.text.charCodeAt(at) === 32) at++;
      if (at >= end || this.text.charCodeAt(at) === 35) {
        if (at < end && at === lineStart + indent + 1) decline(); // `-#`
        const content = this.nextContent(line + 1);
        if (content < this.docEnd && this.indents[content] > indent) {
          const [node, value] = this.collectionAt(content, this.indents[content]);
          items.push(node);
          values.push(value);
        } else {
          items.push({ kind: 'scalar', range: [at, at], type: 'PLAIN' });
          values.push(null);
          this.next = line + 1;
        }
      } else {
        const column = at - lineStart;
        if (this.isDash(line, column) || this.keyAt(line, column) !== null) {
          const [node, value] = this.collectionAt(line, column);
          items.push(node);
          values.push(value);
        } else {
          const [node, value] = this.inline(line, at);
          items.push(node);
          values.push(value);
          this.next = line + 1;
        }
      }
      const content = this.nextContent(this.next);
      if (content >= this.docEnd || this.indents[content] < indent) return [{ kind: 'seq', items }, values];
      if (this.indents[content] > indent) decline();
      if (!this.isDash(content, indent)) return [{ kind: 'seq', items }, values]; // the caller decides
      line = content;
    }
  }

  private mapping(firstLine: number, indent: number): [FastMap, Record<string, unknown>] {
    const pairs: FastPair[] = [];
    const byKey = new Map<string, FastPair>();
    const object: Record<string, unknown> = {};
    let line = firstLine;
    for (;;) {
      const key = this.keyAt(line, indent);
      if (key === null || byKey.has(key.key) || key.key === '__proto__' || key.colon - key.start > 1000) return decline();
      const end = this.ends[line];
      let at = key.colon + 1;
      while (at < end && this.text.charCodeAt(at) === 32) at++;
      let node: FastNode;
      let value: unknown;
      if (at >= end || this.text.charCodeAt(at) === 35) {
        const content = this.nextContent(line + 1);
        if (content < this.docEnd && this.indents[content] > indent) {
          [node, value] = this.collectionAt(content, this.indents[content]);
        } else if (content < this.docEnd && this.indents[content] === indent && this.isDash(content, indent)) {
          [node, value] = this.nestedSequence(content, indent);
        } else {
          node = { kind: 'scalar', range: [at, at], type: 'PLAIN' };
          value = null;
          this.next = line + 1;
        }
      } else {
        [node, value] = this.inline(line, at);
        this.next = line + 1;
      }
      const pair: FastPair = { key: key.key, keyStart: key.start, keyType: key.type, value: node };
      pairs.push(pair);
      byKey.set(key.key, pair);
      object[key.key] = value;
      const content = this.nextContent(this.next);
      if (content >= this.docEnd || this.indents[content] < indent) return [{ kind: 'map', pairs, byKey }, object];
      if (this.indents[content] > indent) decline();
      if (this.isDash(content, indent)) return [{ kind: 'map', pairs, byKey }, object]; // the caller decides
      line = content;
    }
  }

  /** A single-line quoted scalar starting at `at` (the quote); its end (after the closing quote) and value. */
  private quoted(at: number, end: number): { close: number; value: string } {
    const text = this.text;
    const quote = text[at];
    if (quote === '"') {
      const close = text.indexOf('"', at + 1);
      if (close < 0 || close >= end) decline();
      const value = text.slice(at + 1, close);
      if (value.includes('\\')) decline();
      return { close: close + 1, value };
    }
    let position = at + 1;
    for (;;) {
      const close = text.indexOf("'", position);
      if (close < 0 || close >= end) decline();
      if (text[close + 1] === "'") {
        position = close + 2;
        continue;
      }
      return { close: close + 1, value: text.slice(at + 1, close).replace(/''/g, "'") };
    }
  }

  /** The mapping key at `column` of `line` (a string), or null when the line holds no key there. */
  private keyAt(line: number, column: number): { key: string; start: number; colon: number; type: FastScalarType } | null {
    const text = this.text;
    const start = this.starts[line] + column;
    const end = this.ends[line];
    const first = text[start];
    if (first === '"' || first === "'") {
      const { close, value } = this.quoted(start, end);
      if (text[close] !== ':' || (close + 1 < end && text.charCodeAt(close + 1) !== 32)) return null;
      return { key: value, start, colon: close, type: first === '"' ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE' };
    }
    if (INDICATORS.has(first) || (first === '-' && (start + 1 >= end || text.charCodeAt(start + 1) === 32))) return null;
    let colon = pairAt(text, 58 /* : */, 32, start, end);
    if (colon < 0) {
      if (text.charCodeAt(end - 1) !== 58) return null;
      colon = end - 1;
    }
    const hash = pairAt(text, 32, 35 /* # */, start, colon);
    if (hash >= 0) return null;
    let keyEnd = colon;
    while (text.charCodeAt(keyEnd - 1) === 32) keyEnd--;
    if (keyEnd - start > 1000) decline();
    const source = text.slice(start, keyEnd);
    if (!resolvePlain(source, true).string) decline();
    return { key: source, start, colon, type: 'PLAIN' };
  }

  /** A scalar or an empty flow collection written after `key: ` or `- ` (nothing else on the line but a comment). */
  private inline(line: number, at: number): [FastScalar | FastFlow, unknown] {
    const text = this.text;
    const end = this.ends[line];
    const first = text[at];
    let node: FastScalar | FastFlow;
    let value: unknown;
    let after: number;
    if (first === '"' || first === "'") {
      const quoted = this.quoted(at, end);
      node = { kind: 'scalar', range: [at, quoted.close], type: first === '"' ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE' };
      value = quoted.value;
      after = quoted.close;
    } else if (first === '{' || first === '[') {
      if (text[at + 1] !== (first === '{' ? '}' : ']')) decline();
      node = { kind: 'flow', range: [at, at + 2] };
      value = first === '{' ? {} : [];
      after = at + 2;
    } else {
      if (INDICATORS.has(first) || first === '-' && (at + 1 >= end || text.charCodeAt(at + 1) === 32)) decline();
      let stop = pairAt(text, 32, 35 /* # */, at, end);
      if (stop < 0) stop = end;
      if (pairAt(text, 58 /* : */, 32, at, stop) >= 0) decline();
      let valueEnd = stop;
      while (text.charCodeAt(valueEnd - 1) === 32) valueEnd--;
      if (text.charCodeAt(valueEnd - 1) === 58 /* : */) decline();
      node = { kind: 'scalar', range: [at, valueEnd], type: 'PLAIN' };
      value = resolvePlain(text.slice(at, valueEnd), false).value;
      after = stop;
    }
    // Only spaces and a comment may follow.
    let rest = after;
    while (rest < end && text.charCodeAt(rest) === 32) rest++;
    if (rest < end && (text.charCodeAt(rest) !== 35 || rest === after)) decline();
    return [node, value];
  }
}

/** Reads the YAML text if it is in the accepted subset; null when the full path has to read it. */
export function fastParseYaml(text: string): FastStream | null {
  try {
    return new Reader(text).read();
  } catch (error) {
    if (error instanceof Decline) return null;
    throw error;
  }
}
