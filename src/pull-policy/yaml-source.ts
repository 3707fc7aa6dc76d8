/**
 * Reading Kubernetes manifests from YAML text and writing single field values back into that text with
 * the smallest possible change: every byte outside the inserted or replaced value stays as it was, so
 * comments, key order, quoting, indentation, line endings and document markers survive a round trip.
 * Pure: no I/O.
 *
 * YAML is read the way kubectl reads it (YAML 1.1, as go-yaml does: merge keys `<<`, duplicate keys are
 * an error), with the anchors/aliases expansion bounded against "billion laughs" inputs.
 */
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  type Pair,
  type ParsedNode,
  Scalar,
  type YAMLMap,
} from 'yaml';
import { ApiError, ErrorCode } from '../common/errors.js';

export type PathSegment = string | number;

export interface YamlSource {
  text: string;
  documents: Document.Parsed[];
  /** Each document as plain JavaScript (what `kubectl` would send as JSON); null for empty documents. */
  values: unknown[];
}

/** Largest number of alias expansions accepted in one document (the library default is 100). */
const MAX_ALIAS_COUNT = 1_000;

/**
 * Parses every document of a YAML stream. Malformed YAML is an `InvalidManifest` error whose message
 * names the line and column (1-based) of the first problem.
 */
export function parseYamlSource(text: string, field: string): YamlSource {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, {
    version: '1.1',
    merge: true,
    prettyErrors: false,
    uniqueKeys: true,
    lineCounter,
  }) as Document.Parsed[] | { errors: unknown[] };
  if (!Array.isArray(documents)) {
    // parseAllDocuments returns an EmptyStream for input without any document.
    return { text, documents: [], values: [] };
  }
  documents.forEach((document, index) => {
    const error = document.errors[0];
    if (error === undefined) return;
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const where = documents.length > 1 ? ` (document ${index + 1})` : '';
    throw new ApiError(ErrorCode.InvalidManifest, `${field}: malformed YAML at line ${line}, column ${col}${where}: ${firstLine(error.message)}`);
  });
  const values = documents.map((document, index) => {
    try {
      return document.contents === null ? null : document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const where = documents.length > 1 ? ` in document ${index + 1}` : '';
      throw new ApiError(ErrorCode.InvalidManifest, `${field}: YAML cannot be read${where}: ${firstLine((error as Error).message)}`);
    }
  });
  return { text, documents, values };
}

function firstLine(message: string): string {
  const newline = message.indexOf('\n');
  return (newline < 0 ? message : message.slice(0, newline)).replace(/:$/, '');
}

/** A change to the YAML text: `text` replaces the characters from `start` to `end`. */
interface Splice {
  start: number;
  end: number;
  text: string;
}

/** One field to set in one mapping of one document, addressed by its path inside the document. */
export interface YamlFieldEdit {
  document: number;
  /** Path from the document root to the mapping that receives the field. */
  path: readonly PathSegment[];
  key: string;
  value: string;
  /** Put a new field right after this key when the mapping has it (otherwise at the end). */
  after?: string;
}

/** Applies field edits to the original text. Returns the new text; the input text is not changed. */
export function applyYamlEdits(source: YamlSource, edits: readonly YamlFieldEdit[]): string {
  if (edits.length === 0) return source.text;
  const text = source.text;
  const newline = newlineOf(text);
  const splices: Splice[] = [];
  for (const edit of edits) {
    const document = source.documents[edit.document];
    const map = document === undefined ? null : mapAt(document, edit.path);
    if (map === null) continue; // the walker only edits mappings it found, so this does not happen
    splices.push(spliceFor(text, newline, map, edit));
  }
  // One pass over the text (linear, however many edits).
  splices.sort((a, b) => a.start - b.start || a.end - b.end);
  const parts: string[] = [];
  let position = 0;
  for (const splice of splices) {
    if (splice.start < position) continue; // cannot happen: the edits of one mapping set different keys, so they never overlap
    parts.push(text.slice(position, splice.start), splice.text);
    position = splice.end;
  }
  parts.push(text.slice(position));
  return parts.join('');
}

/**
 * The node that the value of `key` in the mapping at `path` is (an alias is followed to its anchor's node),
 * and whether it is written as an alias; null when the mapping or its own key is not there. Edits use it to
 * find containers that share an anchored value.
 */
export function yamlValueOf(source: YamlSource, document: number, path: readonly PathSegment[], key: string): { node: object; alias: boolean; anchored: boolean } | null {
  const parsed = source.documents[document];
  const map = parsed === undefined ? null : mapAt(parsed, path);
  const pair = map === null ? undefined : findPair(map, key);
  if (pair === undefined || pair.value === null || typeof pair.value !== 'object') return null;
  const alias = isAlias(pair.value);
  const node = resolve(parsed, pair.value);
  if (node === null || typeof node !== 'object') return null;
  return { node, alias, anchored: !alias && typeof (pair.value as { anchor?: unknown }).anchor === 'string' };
}

function resolve(document: Document.Parsed, node: unknown): unknown {
  let current = node;
  for (let hops = 0; isAlias(current) && hops < 64; hops++) current = current.resolve(document);
  return current;
}

function mapAt(document: Document.Parsed, path: readonly PathSegment[]): YAMLMap<ParsedNode, ParsedNode | null> | null {
  let node: unknown = resolve(document, document.contents);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = findPair(node as YAMLMap<ParsedNode, ParsedNode | null>, String(segment), document);
      node = pair === undefined ? undefined : resolve(document, pair.value);
    } else if (isSeq(node) && typeof segment === 'number') {
      node = resolve(document, node.items[segment]);
    } else {
      return null;
    }
  }
  return isMap(node) && node.range ? (node as YAMLMap<ParsedNode, ParsedNode | null>) : null;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return key.value === null || key.value === undefined ? undefined : String(key.value);
  return undefined;
}

/** The pair for a key; a key that only arrives through a merge key (`<<: *base`) is searched in the merged maps. */
function findPair(
  map: YAMLMap<ParsedNode, ParsedNode | null>,
  key: string,
  document?: Document.Parsed,
): Pair<ParsedNode, ParsedNode | null> | undefined {
  const own = map.items.find((pair) => keyText(pair.key) === key);
  if (own !== undefined || document === undefined) return own;
  for (const pair of map.items) {
    if (keyText(pair.key) !== '<<') continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const sourceNode of sources) {
      const merged = resolve(document, sourceNode);
      if (isMap(merged)) {
        const found = findPair(merged as YAMLMap<ParsedNode, ParsedNode | null>, key, document);
        if (found !== undefined) return found;
      }
    }
  }
  return undefined;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function newlineOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** Where a new line can be inserted after the line on which `offset` ends (before its line break). */
function endOfLine(text: string, offset: number): number {
  let position = offset;
  if (position > 0 && text[position - 1] === '\n') position -= 1;
  else {
    position = text.indexOf('\n', position);
    if (position < 0) return text.length;
  }
  if (position > 0 && text[position - 1] === '\r') position -= 1;
  return position;
}

function quoted(value: string, type: Scalar.Type | undefined): string {
  if (type === Scalar.QUOTE_DOUBLE) return JSON.stringify(value);
  if (type === Scalar.QUOTE_SINGLE) return `'${value.replace(/'/g, "''")}'`;
  return value;
}

function spliceFor(text: string, newline: string, map: YAMLMap<ParsedNode, ParsedNode | null>, edit: YamlFieldEdit): Splice {
  const mapRange = map.range ?? [0, 0, 0]; // mapAt only returns mappings that have a range
  const existing = findPair(map, edit.key);
  if (existing !== undefined) {
    const value = existing.value as Node | null;
    if (value !== null && value.range) {
      const [start, end] = value.range;
      if (start === end) {
        // `imagePullPolicy:` with nothing after the colon
        return { start, end, text: (text[start - 1] === ':' ? ' ' : '') + edit.value };
      }
      return { start, end, text: quoted(edit.value, isScalar(value) ? value.type : undefined) };
    }
    const keyEnd = (existing.key as Node).range?.[1] ?? 0;
    const colon = text.indexOf(':', keyEnd);
    return { start: colon + 1, end: colon + 1, text: ` ${edit.value}` };
  }
  const anchor = (edit.after !== undefined ? findPair(map, edit.after) : undefined) ?? map.items.at(-1);
  const anchorKey = anchor?.key as Node | undefined;
  const jsonStyle = isScalar(anchorKey) && anchorKey.type === Scalar.QUOTE_DOUBLE;
  const pairText = jsonStyle ? `${JSON.stringify(edit.key)}: ${JSON.stringify(edit.value)}` : `${edit.key}: ${edit.value}`;
  if (map.flow) {
    if (anchor === undefined) {
      const open = text.indexOf('{', mapRange[0]);
      return { start: open + 1, end: open + 1, text: pairText };
    }
    const end = ((anchor.value as Node | null)?.range ?? anchorKey?.range ?? mapRange)[1];
    return { start: end, end, text: `, ${pairText}` };
  }
  // Block mapping: a new line after the anchor pair, indented like the mapping's keys.
  const firstKey = map.items[0]?.key as Node | undefined;
  const keyOffset = firstKey?.range?.[0] ?? mapRange[0];
  const indent = ' '.repeat(keyOffset - lineStart(text, keyOffset));
  const anchorEnd = ((anchor?.value as Node | null | undefined)?.range ?? anchorKey?.range ?? mapRange)[1];
  const position = endOfLine(text, anchorEnd);
  return { start: position, end: position, text: `${newline}${indent}${pairText}` };
}
