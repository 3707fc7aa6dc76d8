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
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  type Pair,
  Parser,
  type ParsedNode,
  Scalar,
  type YAMLMap,
} from 'yaml';
import { ApiError, ErrorCode } from '../common/errors.js';
import { MAX_NESTING, nestingMessage } from '../common/nesting.js';
import { type FastMap, type FastNode, type FastStream, fastParseYaml } from './yaml-fast.js';

export type PathSegment = string | number;

export interface YamlSource {
  text: string;
  /** The full `yaml` Documents (built on first use when the fast reader read the text). */
  documents: Document.Parsed[];
  /** Each document as plain JavaScript (what `kubectl` would send as JSON); null for empty documents. */
  values: unknown[];
  /** The fast reader's nodes when it could read the text (see yaml-fast.ts); null when the full path read it. */
  fast: FastStream | null;
}

/**
 * Whether parseYamlSource tries the fast reader first. Only tests turn it off, to compare the fast path
 * with the full one.
 */
export const yamlReading = { fast: true };

/**
 * Longest text the full `yaml` parser is given. It reads about half a megabyte a second on this service's
 * 2-core reference machine, synchronously, so a 5 MB body of YAML the fast reader declines would hold the
 * event loop (every other request, `/healthz` too) for around ten seconds. Block-style YAML (what
 * `kubectl`, Helm and Kustomize write) is read by the fast reader at any size up to the body limit.
 */
export const MAX_FULL_YAML_CHARACTERS = 512 * 1024;

/** Largest number of alias expansions accepted in one document (the library default is 100). */
const MAX_ALIAS_COUNT = 1_000;

/**
 * Parses every document of a YAML stream. Malformed YAML is an `InvalidManifest` error whose message
 * names the line and column (1-based) of the first problem.
 */
export function parseYamlSource(text: string, field: string): YamlSource {
  const fast = yamlReading.fast ? fastParseYaml(text) : null;
  if (fast === null) return parseFullYamlSource(text, field);
  let documents: Document.Parsed[] | undefined;
  return {
    text,
    values: fast.values,
    fast,
    // An edit the fast reader cannot place needs the full Documents: the same bound applies.
    get documents(): Document.Parsed[] {
      documents ??= parseFullYamlSource(text, field).documents;
      return documents;
    },
  };
}

/**
 * parseYamlSource with the `yaml` package's Documents (any YAML), bounded so that no text up to the body
 * limit costs more than linear time or recursion deeper than MAX_NESTING:
 * - the CST parser (iterative) is driven one token at a time and stopped as soon as its stack is deeper than
 *   MAX_NESTING, before the composer (recursive) sees anything;
 * - the composer runs with `uniqueKeys: false`, because its own duplicate-key check compares every key with
 *   every earlier key of the map (quadratic: a 200 KB map took seconds); `checkComposed` finds duplicates
 *   with one Set per map instead, with the same message and the same rule (equal scalar values);
 * - `checkComposed` also measures how deep each document becomes once aliases are expanded (each node
 *   measured once), so `toJS` never recurses past MAX_NESTING either.
 */
function parseFullYamlSource(text: string, field: string): YamlSource {
  if (text.length > MAX_FULL_YAML_CHARACTERS) {
    throw new ApiError(
      ErrorCode.PayloadTooLarge,
      `${field}: YAML beyond plain block style (anchors, block scalars, flow collections, multi-line scalars, …) is read by the ` +
        `full parser, which takes at most ${MAX_FULL_YAML_CHARACTERS} characters (this text has ${text.length}): ` +
        'send block-style YAML or JSON, or split the stream',
    );
  }
  const lineCounter = new LineCounter();
  const where = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `line ${line}, column ${col}`;
  };
  const composer = new Composer({ version: '1.1', merge: true, uniqueKeys: false });
  const documents = Array.from(composer.compose(boundedTokens(text, lineCounter, field, where))) as Document.Parsed[];
  documents.forEach((document, index) => {
    const documentWhere = documents.length > 1 ? ` (document ${index + 1})` : '';
    const duplicateAt = checkComposed(document, `${field}: YAML${documentWhere}`, where);
    const error = document.errors[0];
    if (duplicateAt !== null && (error === undefined || duplicateAt < error.pos[0])) {
      throw new ApiError(ErrorCode.InvalidManifest, `${field}: malformed YAML at ${where(duplicateAt)}${documentWhere}: Map keys must be unique`);
    }
    if (error !== undefined) {
      throw new ApiError(ErrorCode.InvalidManifest, `${field}: malformed YAML at ${where(error.pos[0])}${documentWhere}: ${firstLine(error.message)}`);
    }
  });
  const values = documents.map((document, index) => {
    try {
      return document.contents === null ? null : document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const where = documents.length > 1 ? ` in document ${index + 1}` : '';
      throw new ApiError(ErrorCode.InvalidManifest, `${field}: YAML cannot be read${where}: ${firstLine((error as Error).message)}`);
    }
  });
  return { text, documents, values, fast: null };
}

/** The CST of `text`, refused (`400 InvalidRequest`) as soon as the parser's stack passes MAX_NESTING. */
function* boundedTokens(text: string, lineCounter: LineCounter, field: string, where: (offset: number) => string): Generator<CST.Token> {
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  // The stack holds the document and each open collection (plus at most one pending item).
  const deepest = MAX_NESTING + 2;
  for (const lexeme of new Lexer().lex(text)) {
    yield* parser.next(lexeme);
    if (parser.stack.length > deepest) {
      throw new ApiError(ErrorCode.InvalidRequest, `${nestingMessage(`${field}: YAML`)} at ${where(parser.offset)}`);
    }
  }
  yield* parser.end();
}

/** Most nodes aliases may add to a document: the larger of this and the number of nodes written. */
const MIN_ALIAS_EXPANSION = 10_000;

/**
 * One pass over a composed document, each node visited once (an explicit stack, no recursion): the offset
 * of the first duplicate map key (as the `yaml` package's `uniqueKeys` rule defines one: scalar keys with
 * equal values), or null. Refused with `400 InvalidRequest`: a document that, with its aliases expanded,
 * nests deeper than MAX_NESTING, or holds more than twice its written nodes (at least MIN_ALIAS_EXPANSION
 * more): everything after the parse (the walker, the plugins) works per expanded node, so a few kilobytes
 * of aliases to a large anchor would otherwise cost seconds.
 */
function checkComposed(document: Document.Parsed, what: string, where: (offset: number) => string): number | null {
  const root = document.contents;
  if (root === null) return null;
  let duplicateAt: number | null = null;
  let written = 0;
  const anchors = new Map<string, Node>();
  const measured = new Map<Node, Measure>(); // once expanded
  const frames: Array<{ node: Node; children: Node[]; next: number; depth: number; size: number }> = [];
  const tooDeep = (node: Node): ApiError =>
    new ApiError(ErrorCode.InvalidRequest, `${nestingMessage(`${what}, with its aliases expanded,`)} at ${where(node.range?.[0] ?? 0)}`);
  const SCALAR: Measure = { depth: 0, size: 1 };
  // The measure of a node that is done, or undefined when it is a collection to descend into (pushed as a frame).
  const enter = (node: Node): Measure | undefined => {
    if (node.anchor !== undefined) anchors.set(node.anchor, node);
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) return SCALAR; // unresolved: toJS reports it
      const measure = measured.get(target);
      if (measure === undefined) throw tooDeep(node); // an alias inside its own anchor expands without end
      return measure;
    }
    written++;
    const children: Node[] = [];
    if (isMap(node)) {
      const keys = new Set<unknown>();
      for (const pair of node.items as Array<Pair<unknown, unknown>>) {
        const key = pair.key as Node | null;
        if (isScalar(key)) {
          const at = key.range?.[0] ?? 0;
          if (keys.has(key.value) && !Number.isNaN(key.value) && (duplicateAt === null || at < duplicateAt)) duplicateAt = at;
          keys.add(key.value);
        }
        if (key !== null && typeof key === 'object') children.push(key);
        if (pair.value !== null && typeof pair.value === 'object') children.push(pair.value as Node);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) if (item !== null && typeof item === 'object') children.push(item as Node);
    } else {
      measured.set(node, SCALAR);
      return SCALAR;
    }
    frames.push({ node, children, next: 0, depth: 1, size: 1 });
    if (frames.length > MAX_NESTING) throw tooDeep(node);
    return undefined;
  };
  let result = enter(root);
  while (frames.length > 0) {
    const frame = frames[frames.length - 1];
    if (result !== undefined) {
      // A child finished.
      if (result.depth + 1 > frame.depth) frame.depth = result.depth + 1;
      if (frame.depth > MAX_NESTING) throw tooDeep(frame.node);
      frame.size += result.size;
    }
    if (frame.next < frame.children.length) {
      result = enter(frame.children[frame.next++]);
      continue;
    }
    frames.pop();
    result = { depth: frame.depth, size: frame.size };
    measured.set(frame.node, result);
  }
  const expanded = (result as Measure).size;
  if (expanded > written + Math.max(written, MIN_ALIAS_EXPANSION)) {
    throw new ApiError(
      ErrorCode.InvalidRequest,
      `${what}: its aliases expand ${written} written nodes to ${expanded}; at most twice as many, or ${MIN_ALIAS_EXPANSION} more, are read (the limit on alias expansion)`,
    );
  }
  return duplicateAt;
}

interface Measure {
  depth: number;
  size: number;
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
  const splices = (source.fast === null ? null : fastSplices(source.fast, text, newline, edits)) ?? fullSplices(source, text, newline, edits);
  // One pass over the text (linear, however many edits).
  splices.sort((a, b) => a.start - b.start || a.end - b.end);
  const parts: string[] = [];
  let position = 0;
  let previous: Splice | undefined;
  for (const splice of splices) {
    // Edits of one mapping set different keys, so they never overlap, except where aliases make several
    // containers one node in the text: that node is edited once (the first edit of the same place wins).
    if (splice.start < position || (splice.start === previous?.start && splice.end === previous.end)) continue;
    parts.push(text.slice(position, splice.start), splice.text);
    position = splice.end;
    previous = splice;
  }
  parts.push(text.slice(position));
  return parts.join('');
}

function fullSplices(source: YamlSource, text: string, newline: string, edits: readonly YamlFieldEdit[]): Splice[] {
  const splices: Splice[] = [];
  for (const edit of edits) {
    const document = source.documents[edit.document];
    const map = document === undefined ? null : mapAt(document, edit.path);
    if (map === null) continue; // the walker only edits mappings it found, so this does not happen
    splices.push(spliceFor(text, newline, map, edit));
  }
  return splices;
}

/** The splices of spliceFor, from the fast reader's nodes; null when one edit needs the full Documents. */
function fastSplices(stream: FastStream, text: string, newline: string, edits: readonly YamlFieldEdit[]): Splice[] | null {
  const splices: Splice[] = [];
  for (const edit of edits) {
    const map = fastMapAt(stream, edit.document, edit.path);
    if (map === null) return null;
    const splice = fastSpliceFor(text, newline, map, edit);
    if (splice === null) return null;
    splices.push(splice);
  }
  return splices;
}

function fastNodeAt(stream: FastStream, document: number, path: readonly PathSegment[]): FastNode | null {
  let node: FastNode | null | undefined = stream.roots[document];
  for (const segment of path) {
    if (node === null || node === undefined) return null;
    if (node.kind === 'map') node = node.byKey.get(String(segment))?.value;
    else if (node.kind === 'seq' && typeof segment === 'number') node = node.items[segment];
    else return null;
  }
  return node ?? null;
}

function fastMapAt(stream: FastStream, document: number, path: readonly PathSegment[]): FastMap | null {
  const node = fastNodeAt(stream, document, path);
  return node !== null && node.kind === 'map' ? node : null;
}

/** spliceFor on the fast reader's nodes (block mappings only); null when it needs the full Documents. */
function fastSpliceFor(text: string, newline: string, map: FastMap, edit: YamlFieldEdit): Splice | null {
  const existing = map.byKey.get(edit.key);
  if (existing !== undefined) {
    const value = existing.value;
    if (value.kind !== 'scalar' && value.kind !== 'flow') return null;
    const [start, end] = value.range;
    if (start === end) return emptyValueSplice(text, start, edit.value);
    return { start, end, text: quoted(edit.value, value.kind === 'scalar' ? Scalar[value.type] : undefined) };
  }
  const anchor = (edit.after !== undefined ? map.byKey.get(edit.after) : undefined) ?? map.pairs[map.pairs.length - 1];
  if (anchor.value.kind !== 'scalar' && anchor.value.kind !== 'flow') return null;
  const jsonStyle = anchor.keyType === 'QUOTE_DOUBLE';
  const pairText = jsonStyle ? `${JSON.stringify(edit.key)}: ${JSON.stringify(edit.value)}` : `${edit.key}: ${edit.value}`;
  const keyOffset = map.pairs[0].keyStart;
  const indent = ' '.repeat(keyOffset - lineStart(text, keyOffset));
  const position = endOfLine(text, anchor.value.range[1]);
  return { start: position, end: position, text: `${newline}${indent}${pairText}` };
}

/**
 * The node that the value of `key` in the mapping at `path` is (an alias is followed to its anchor's node),
 * and whether it is written as an alias; null when the mapping or its own key is not there. Edits use it to
 * find containers that share an anchored value.
 */
export function yamlValueOf(source: YamlSource, document: number, path: readonly PathSegment[], key: string): { node: object; alias: boolean; anchored: boolean } | null {
  if (source.fast !== null) {
    // The fast reader declines anchors and aliases.
    const value = fastMapAt(source.fast, document, path)?.byKey.get(key)?.value;
    return value === undefined ? null : { node: value, alias: false, anchored: false };
  }
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

/**
 * A value written where a key has none (`imagePullPolicy:` or `imagePullPolicy:   # note`): a space after
 * the colon, and one before a comment, which YAML would otherwise read as part of the value.
 */
function emptyValueSplice(text: string, at: number, value: string): Splice {
  return { start: at, end: at, text: (text[at - 1] === ':' ? ' ' : '') + value + (text[at] === '#' ? ' ' : '') };
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
        return emptyValueSplice(text, start, edit.value);
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
