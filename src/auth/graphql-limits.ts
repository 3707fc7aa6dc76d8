/**
 * What one GraphQL document may ask for, checked in two steps, each linear in the size of the document:
 *
 * 1. Before Apollo parses the text (`graphqlDocumentGuard`): its length in bytes, its number of tokens, and how
 *    deeply `{`, `[` and `(` nest. graphql-js's parser reads every byte and recurses once per level; these bound
 *    the parse itself. Refusals are 400 `BAD_REQUEST` errors (the service's `InvalidRequest`).
 * 2. A validation rule (`graphqlLimitsRule`): nesting depth, aliases (each alias of `digest` is another registry
 *    lookup) and complexity (the number of fields with fragments expanded) of every operation, and of every
 *    fragment nothing spreads. Each fragment's cost is computed once and reused wherever it is spread (a fragment
 *    spreading the next one twice, twenty times over, is 21 small sums, not 2^20 walks); counts stop at the
 *    limit plus one, so they never overflow. Unknown fragments, fragments defined twice and fragment cycles are
 *    refused before any cost is added up. Violations are GraphQL validation errors (`InvalidRequest`), reported
 *    before graphql-js's own rules (some quadratic on hostile documents) look at the document, and before
 *    anything runs.
 */
import type { FastifyRequest } from 'fastify';
import {
  type ASTVisitor,
  type DocumentNode,
  type ExecutableDefinitionNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  Kind,
  Lexer,
  type SelectionSetNode,
  Source,
  TokenKind,
  type ValidationContext,
} from 'graphql';
// graphql's CommonJS build, the one Apollo loads (a test runner may give this module the ES build instead): Apollo
// answers a GraphQLError thrown by the context function as is, with its `http` status, only if it is its own class.
import { GraphQLError } from 'graphql/error/GraphQLError.js';

export interface GraphqlLimits {
  maxDepth: number;
  maxAliases: number;
  maxComplexity: number;
  /** Lexical tokens of the document text (names, punctuation, values; not comments). */
  maxTokens: number;
  /** UTF-8 length of the document text. */
  maxDocumentBytes: number;
}

/** What the validation rule checks. */
export type OperationLimits = Pick<GraphqlLimits, 'maxDepth' | 'maxAliases' | 'maxComplexity'>;
/** What is checked on the text, before parsing. */
export type DocumentTextLimits = Pick<GraphqlLimits, 'maxDepth' | 'maxTokens' | 'maxDocumentBytes'>;

/**
 * How deeply `{`, `[` and `(` may nest in the text: room for an inline fragment at every field level and for
 * nested input values in arguments, capped at 1000 levels (which graphql-js's recursive parser and validation
 * still handle with stack to spare).
 */
export function bracketNestingLimit(maxDepth: number): number {
  return Math.min(2 * maxDepth + 32, 1000);
}

/** Why the document text is refused before it is parsed, or null. Syntax errors are left to the parser. */
export function checkDocumentText(text: string, limits: DocumentTextLimits): string | null {
  // Code units never outnumber UTF-8 bytes: the byte count is only taken of a text that may fit.
  if (text.length > limits.maxDocumentBytes || Buffer.byteLength(text, 'utf8') > limits.maxDocumentBytes) {
    return `Document is longer than ${limits.maxDocumentBytes} bytes (GRAPHQL_MAX_DOCUMENT_BYTES); send large inputs as variables`;
  }
  const maxNesting = bracketNestingLimit(limits.maxDepth);
  const lexer = new Lexer(new Source(text));
  let tokens = 0;
  let nesting = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++tokens > limits.maxTokens) return `Document has more than ${limits.maxTokens} tokens (GRAPHQL_MAX_TOKENS)`;
      if (token.kind === TokenKind.BRACE_L || token.kind === TokenKind.BRACKET_L || token.kind === TokenKind.PAREN_L) {
        if (++nesting > maxNesting) return `Document nests {, [ and ( deeper than ${maxNesting} levels (allowed by GRAPHQL_MAX_DEPTH=${limits.maxDepth})`;
      } else if (token.kind === TokenKind.BRACE_R || token.kind === TokenKind.BRACKET_R || token.kind === TokenKind.PAREN_R) {
        nesting--;
      }
    }
  } catch {
    return null; // not GraphQL (the lexer throws only syntax errors): the parser reports it, with its position
  }
  return null;
}

/**
 * Apollo's `context` function for the GraphQL route: refuses a document text over the limits before Apollo
 * parses it (an error thrown here is answered with its `http` status; anywhere later in Apollo's request
 * pipeline it would be a 500). The context it builds is Nest's default, `{ req }`.
 */
export function graphqlDocumentGuard(limits: DocumentTextLimits): (request: FastifyRequest) => { req: FastifyRequest } {
  return (request) => {
    const params = (request.method === 'GET' ? request.query : request.body) as { query?: unknown } | null | undefined;
    const problem = typeof params?.query === 'string' ? checkDocumentText(params.query, limits) : null;
    if (problem !== null) throw new GraphQLError(problem, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
    return { req: request };
  };
}

/** Fields, aliases and depth of a definition with its fragments expanded; counts stop at the limit plus one. */
interface Cost {
  fields: number;
  aliases: number;
  depth: number;
}

/** A definition as written: its own fields, and the fragments it spreads with the field depth at each spread. */
interface Written {
  fields: number;
  aliases: number;
  depth: number;
  spreads: Array<{ node: FragmentSpreadNode; offset: number }>;
}

export interface DocumentCheck {
  errors: GraphQLError[];
  /** Selections (fields, inline fragments, spreads) read: each once, however often its fragment is spread. */
  selectionsVisited: number;
}

/** The limits check of a whole document (the rule reports its errors). */
export function checkDocument(document: DocumentNode, limits: OperationLimits): DocumentCheck {
  const errors: GraphQLError[] = [];
  let selectionsVisited = 0;
  const definitions = document.definitions.filter((definition): definition is ExecutableDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION);

  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of definitions) {
    if (definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
    const name = definition.name.value;
    if (fragments.has(name)) errors.push(new GraphQLError(`Fragment ${name} is defined more than once`, { nodes: [fragments.get(name)!, definition] }));
    else fragments.set(name, definition);
  }
  if (errors.length > 0) return { errors, selectionsVisited };

  const spreadSomewhere = new Set<string>();
  const read = (set: SelectionSetNode): Written => {
    const written: Written = { fields: 0, aliases: 0, depth: 0, spreads: [] };
    const pending: Array<[SelectionSetNode, number]> = [[set, 1]]; // a loop, not recursion: nesting is only bounded by the text check
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const [selections, level] = next;
      for (const selection of selections.selections) {
        selectionsVisited++;
        if (selection.kind === Kind.FIELD) {
          written.fields++;
          if (selection.alias !== undefined) written.aliases++;
          if (level > written.depth) written.depth = level;
          if (selection.selectionSet !== undefined) pending.push([selection.selectionSet, level + 1]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          pending.push([selection.selectionSet, level]);
        } else {
          written.spreads.push({ node: selection, offset: level - 1 });
          spreadSomewhere.add(selection.name.value);
        }
      }
    }
    return written;
  };

  const add = (total: Cost, part: Cost, offset: number): void => {
    total.fields = Math.min(total.fields + part.fields, limits.maxComplexity + 1);
    total.aliases = Math.min(total.aliases + part.aliases, limits.maxAliases + 1);
    total.depth = Math.max(total.depth, offset + part.depth);
  };

  const subject = (definition: ExecutableDefinitionNode): string =>
    definition.kind === Kind.FRAGMENT_DEFINITION ? `Fragment ${definition.name.value}` : `Operation${definition.name ? ` ${definition.name.value}` : ''}`;

  // Each fragment's cost, computed once (null: it reaches an unknown fragment or a cycle, already reported).
  const costs = new Map<FragmentDefinitionNode, Cost | null>();
  const reportedUnknown = new Set<string>();
  const reportedCycles = new Set<string>();

  /** Depth-first over the spreads with an explicit stack (a chain of 10 000 fragments must not overflow the call stack). */
  const costOf = (root: ExecutableDefinitionNode): Cost | null => {
    interface Frame { definition: ExecutableDefinitionNode; written: Written; next: number; cost: Cost; broken: boolean }
    const open = (definition: ExecutableDefinitionNode): Frame => {
      const written = read(definition.selectionSet);
      return { definition, written, next: 0, cost: { fields: written.fields, aliases: written.aliases, depth: written.depth }, broken: false };
    };
    const stack: Frame[] = [open(root)];
    const onStack = new Map<string, number>(); // fragment name → its index in `stack`
    if (root.kind === Kind.FRAGMENT_DEFINITION) onStack.set(root.name.value, 0);
    for (;;) {
      const frame = stack[stack.length - 1];
      if (frame.next < frame.written.spreads.length) {
        const spread = frame.written.spreads[frame.next++];
        const name = spread.node.name.value;
        const fragment = fragments.get(name);
        if (fragment === undefined) {
          frame.broken = true;
          if (!reportedUnknown.has(name)) {
            reportedUnknown.add(name);
            errors.push(new GraphQLError(`${subject(frame.definition)} spreads fragment ${name}, which is not defined`, { nodes: [spread.node] }));
          }
          continue;
        }
        const known = costs.get(fragment);
        if (known !== undefined) {
          if (known === null) frame.broken = true;
          else add(frame.cost, known, spread.offset);
          continue;
        }
        const at = onStack.get(name);
        if (at !== undefined) {
          frame.broken = true;
          if (!reportedCycles.has(name)) {
            reportedCycles.add(name);
            errors.push(new GraphQLError(`Fragment ${name} spreads itself: ${describeCycle(stack, at)} (fragment cycles are not allowed)`, { nodes: [spread.node] }));
          }
          continue;
        }
        onStack.set(name, stack.length);
        stack.push(open(fragment));
        continue;
      }
      stack.pop();
      const cost = frame.broken ? null : frame.cost;
      if (frame.definition.kind === Kind.FRAGMENT_DEFINITION) {
        onStack.delete(frame.definition.name.value);
        costs.set(frame.definition, cost);
      }
      const parent = stack[stack.length - 1];
      if (parent === undefined) return cost;
      const spread = parent.written.spreads[parent.next - 1];
      if (cost === null) parent.broken = true;
      else add(parent.cost, cost, spread.offset);
    }
  };

  // Every operation, and every fragment nothing spreads (an unused one: spreading only adds to a cost, so a
  // fragment over a limit makes whatever spreads it go over too, up to one of these).
  const roots: Array<[ExecutableDefinitionNode, Cost | null]> = [];
  for (const definition of definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) roots.push([definition, costOf(definition)]);
  }
  for (const definition of definitions) {
    if (definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
    if (!costs.has(definition)) costOf(definition);
  }
  if (errors.length > 0) return { errors, selectionsVisited };
  for (const definition of definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION && !spreadSomewhere.has(definition.name.value)) roots.push([definition, costs.get(definition) ?? null]);
  }

  for (const [definition, cost] of roots) {
    if (cost === null) continue;
    const problem =
      cost.depth > limits.maxDepth
        ? `nests fields deeper than ${limits.maxDepth} levels (GRAPHQL_MAX_DEPTH)`
        : cost.aliases > limits.maxAliases
          ? `uses more than ${limits.maxAliases} aliases (GRAPHQL_MAX_ALIASES)`
          : cost.fields > limits.maxComplexity
            ? `selects more than ${limits.maxComplexity} fields, fragments expanded (GRAPHQL_MAX_COMPLEXITY)`
            : null;
    if (problem !== null) errors.push(new GraphQLError(`${subject(definition)} ${problem}`, { nodes: [definition] }));
  }
  return { errors, selectionsVisited };
}

/** `A → B → C → A`, shortened in the middle when long: the fragments from `stack[at]` to the top, and back. */
function describeCycle(stack: ReadonlyArray<{ definition: ExecutableDefinitionNode }>, at: number): string {
  const name = (index: number): string => (stack[index].definition as FragmentDefinitionNode).name.value;
  const length = stack.length - at;
  const names = length <= 6 ? Array.from({ length }, (_, i) => name(at + i)) : [name(at), name(at + 1), name(at + 2), `… (${length} fragments)`, name(stack.length - 2), name(stack.length - 1)];
  return [...names, name(at)].join(' → ');
}

/**
 * The validation rule. It does its work on the document node, which every rule enters before any selection,
 * and a document it refuses leaves the validation pass right there: returning null from the document node ends
 * the traversal for every rule running alongside (graphql-js's visitor API), so none of graphql-js's own rules
 * spends time on it.
 */
export function graphqlLimitsRule(limits: OperationLimits): (context: ValidationContext) => ASTVisitor {
  return (context) => ({
    Document(document) {
      const { errors } = checkDocument(document, limits);
      for (const error of errors) context.reportError(error);
      return errors.length > 0 ? null : undefined;
    },
  });
}
