import fc from 'fast-check';
import { buildSchema, type DocumentNode, type FieldNode, Kind, type OperationDefinitionNode, parse, type SelectionSetNode, specifiedRules, validate, visit } from 'graphql';
import { GraphQLError } from 'graphql/error/GraphQLError.js'; // the class Apollo loads (see graphql-limits.ts)
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { bracketNestingLimit, checkDocument, checkDocumentText, graphqlDocumentGuard, graphqlLimitsRule, type OperationLimits } from './graphql-limits.js';

const schema = buildSchema('type Node { id: ID, child: Node } type Query { node: Node }');
const LIMITS: OperationLimits = { maxDepth: 4, maxAliases: 2, maxComplexity: 20 };
const DEFAULTS: OperationLimits = { maxDepth: 15, maxAliases: 30, maxComplexity: 1000 };
const check = (query: string, limits = LIMITS) => validate(schema, parse(query), [graphqlLimitsRule(limits)]).map((e) => e.message);

/** Each fragment spreads the next twice; the last selects `id` (or, `cyclic`, spreads the first). */
const diamond = (n: number, cyclic = false) =>
  Array.from({ length: n }, (_, i) => `fragment F${i} on Node { ...F${(i + 1) % (cyclic ? n : n + 1)} ...F${(i + 1) % (cyclic ? n : n + 1)} }`).join(' ') +
  (cyclic ? '' : ` fragment F${n} on Node { id }`) +
  ' { node { ...F0 } }';
/** Fragment i selects `id` and spreads every fragment before it. */
const allPrevious = (n: number) => Array.from({ length: n }, (_, i) => `fragment F${i} on Node { id ${Array.from({ length: i }, (_, j) => `...F${j}`).join(' ')} }`).join(' ') + ` { node { ...F${n - 1} } }`;

function selectionsIn(document: DocumentNode): number {
  let count = 0;
  visit(document, { Field: () => void count++, InlineFragment: () => void count++, FragmentSpread: () => void count++ });
  return count;
}

describe('graphqlLimitsRule', () => {
  it('passes operations within the limits', () => {
    expect(check('{ node { id child { id child { id } } } }')).toEqual([]);
    expect(check('fragment F on Node { id } { a: node { ...F } b: node { ...F ... on Node { ...F } } }')).toEqual([]);
  });

  it('counts depth through fragments and inline fragments', () => {
    expect(check('fragment F on Node { child { child { id } } } query Q { node { ... on Node { child { ...F } } } }')).toEqual(['Operation Q nests fields deeper than 4 levels (GRAPHQL_MAX_DEPTH)']);
    expect(check('fragment F on Node { child { child { id } } } query Q { node { ...F } }')).toEqual([]);
  });

  it('counts aliases and fields with fragments expanded', () => {
    expect(check('{ a: node { id } b: node { id } c: node { id } }')).toEqual(['Operation uses more than 2 aliases (GRAPHQL_MAX_ALIASES)']);
    expect(check('fragment F on Node { x: id } { node { ...F ...F ...F } }')).toEqual(['Operation uses more than 2 aliases (GRAPHQL_MAX_ALIASES)']);
    const ten = 'fragment T on Node { id id id id id id id id id id }';
    expect(check(`${ten} query Q { node { ...T } }`)).toEqual([]); // 11 fields
    expect(check(`${ten} query Q { node { ...T ...T } }`)).toEqual(['Operation Q selects more than 20 fields, fragments expanded (GRAPHQL_MAX_COMPLEXITY)']); // 21
  });

  it('checks every operation, and fragments nothing spreads, but no fragment twice', () => {
    const deep = 'fragment Deep on Node { child { child { child { child { id } } } } }';
    expect(check(`${deep} query A { node { id } } query B { node { id } }`)).toEqual(['Fragment Deep nests fields deeper than 4 levels (GRAPHQL_MAX_DEPTH)']);
    expect(check(`${deep} fragment Uses on Node { ...Deep } query A { node { id } }`)).toEqual(['Fragment Uses nests fields deeper than 4 levels (GRAPHQL_MAX_DEPTH)']);
    expect(check(`${deep} query A { node { ...Deep } } query B { ...on Query { node { id } } }`)).toEqual(['Operation A nests fields deeper than 4 levels (GRAPHQL_MAX_DEPTH)']);
  });

  it('refuses fragment cycles, naming the way round', () => {
    expect(check('fragment A on Node { ...B } fragment B on Node { ...A } { node { ...A } }')).toEqual(['Fragment A spreads itself: A → B → A (fragment cycles are not allowed)']);
    expect(check('fragment A on Node { id ...A } { node { id } }')).toEqual(['Fragment A spreads itself: A → A (fragment cycles are not allowed)']);
    expect(check(diamond(20, true))).toEqual(['Fragment F0 spreads itself: F0 → F1 → F2 → … (20 fragments) → F18 → F19 → F0 (fragment cycles are not allowed)']);
  });

  it('refuses unknown fragments and fragments defined twice', () => {
    expect(check('{ node { ...Nope } }')).toEqual(['Operation spreads fragment Nope, which is not defined']);
    expect(check('fragment A on Node { ...Nope ...Nope } query Q { node { ...A ...Nope } }')).toEqual(['Fragment A spreads fragment Nope, which is not defined']);
    expect(check('fragment A on Node { id } fragment A on Node { child { id } } { node { ...A } }')).toEqual(['Fragment A is defined more than once']);
  });

  it('computes each fragment once: an exponential diamond costs one visit per selection', () => {
    for (const n of [20, 26, 1000, 10_000]) {
      const document = parse(diamond(n));
      const result = checkDocument(document, DEFAULTS);
      expect(result.errors.map((e) => e.message)).toEqual(['Operation selects more than 1000 fields, fragments expanded (GRAPHQL_MAX_COMPLEXITY)']);
      expect(result.selectionsVisited).toBe(selectionsIn(document)); // 2n + 3: nothing is read twice
      const cyclic = parse(diamond(n, true));
      expect(checkDocument(cyclic, DEFAULTS).errors.map((e) => e.message)).toEqual([expect.stringMatching(/^Fragment F0 spreads itself: F0 → F1 → /)]);
      expect(checkDocument(cyclic, DEFAULTS).selectionsVisited).toBe(selectionsIn(cyclic));
    }
  });

  it('saturates counts: a 2000-level diamond (2^2000 fields) is over the limit, not Infinity or NaN', () => {
    expect(check(diamond(2000), { maxDepth: 15, maxAliases: 30, maxComplexity: 1_000_000 })).toEqual(['Operation selects more than 1000000 fields, fragments expanded (GRAPHQL_MAX_COMPLEXITY)']);
    const aliases = Array.from({ length: 1100 }, (_, i) => `fragment F${i} on Node { a: id ...F${i + 1} ...F${i + 1} }`).join(' ') + ' fragment F1100 on Node { id } { node { ...F0 } }';
    expect(check(aliases, { maxDepth: 15, maxAliases: 100_000, maxComplexity: 1_000_000 })).toEqual(['Operation uses more than 100000 aliases (GRAPHQL_MAX_ALIASES)']);
  });

  it('follows chains of 10 000 fragments without recursion', () => {
    const chain = Array.from({ length: 10_000 }, (_, i) => `fragment F${i} on Node { child { ...F${i + 1} } }`).join(' ') + ' fragment F10000 on Node { id } { node { ...F0 } }';
    expect(check(chain, { maxDepth: 1000, maxAliases: 30, maxComplexity: 1_000_000 })).toEqual(['Operation nests fields deeper than 1000 levels (GRAPHQL_MAX_DEPTH)']);
    const flat = Array.from({ length: 10_000 }, (_, i) => `fragment F${i} on Node { ...F${i + 1} }`).join(' ') + ' fragment F10000 on Node { id } { node { ...F0 } }';
    expect(check(flat)).toEqual([]);
  });

  it('reads a fragment spread by every later one once (n² spreads in the text, n fragments to cost)', () => {
    const document = parse(allPrevious(300));
    const result = checkDocument(document, DEFAULTS);
    expect(result.errors.map((e) => e.message)).toEqual(['Operation selects more than 1000 fields, fragments expanded (GRAPHQL_MAX_COMPLEXITY)']);
    expect(result.selectionsVisited).toBe(selectionsIn(document));
  });

  it('agrees with expanding every fragment, on small random documents', () => {
    // Fragment i may spread fragments after it only (no cycles); the expansion is computed the slow way.
    const selection = (fragments: number, from: number): fc.Arbitrary<string> =>
      fc.letrec<{ selection: string; set: string }>((tie) => ({
        selection: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          fc.constantFrom('id', 'x: id'),
          tie('set').map((set) => `child ${set}`),
          tie('set').map((set) => `y: child ${set}`),
          tie('set').map((set) => `... on Node ${set}`),
          ...(from < fragments ? [fc.integer({ min: from, max: fragments - 1 }).map((i) => `...F${i}`)] : []),
        ),
        set: fc.array(tie('selection'), { minLength: 1, maxLength: 3 }).map((items) => `{ ${items.join(' ')} }`),
      })).set;
    const documents = fc.integer({ min: 0, max: 4 }).chain((fragments) =>
      fc.tuple(fc.constant(fragments), selection(fragments, 0), ...Array.from({ length: fragments }, (_, i) => selection(fragments, i + 1))),
    );
    const limits = fc.record({ maxDepth: fc.integer({ min: 1, max: 6 }), maxAliases: fc.integer({ min: 0, max: 6 }), maxComplexity: fc.integer({ min: 1, max: 40 }) });
    fc.assert(
      fc.property(documents, limits, ([, operation, ...bodies], limits) => {
        const text = bodies.map((body, i) => `fragment F${i} on Node ${body}`).join(' ') + ` query Q { node ${operation} }`;
        type Cost = { fields: number; aliases: number; depth: number };
        const expanded = (set: string, level: number): Cost => {
          const node = (parse(`{ node ${set} }`).definitions[0] as OperationDefinitionNode).selectionSet.selections[0] as FieldNode;
          return walk(node.selectionSet!, level);
        };
        const walk = (set: SelectionSetNode, level: number): Cost => {
          const total = { fields: 0, aliases: 0, depth: 0 };
          for (const s of set.selections) {
            let part: Cost;
            if (s.kind === Kind.FIELD) {
              const inner = s.selectionSet ? walk(s.selectionSet, level + 1) : { fields: 0, aliases: 0, depth: 0 };
              part = { fields: 1 + inner.fields, aliases: (s.alias ? 1 : 0) + inner.aliases, depth: Math.max(level, inner.depth) };
            } else if (s.kind === Kind.INLINE_FRAGMENT) {
              part = walk(s.selectionSet, level);
            } else {
              part = expanded(bodies[Number(s.name.value.slice(1))], level);
            }
            total.fields += part.fields;
            total.aliases += part.aliases;
            total.depth = Math.max(total.depth, part.depth);
          }
          return total;
        };
        const verdict = (subject: string, cost: Cost) =>
          cost.depth > limits.maxDepth
            ? [`${subject} nests fields deeper than ${limits.maxDepth} levels (GRAPHQL_MAX_DEPTH)`]
            : cost.aliases > limits.maxAliases
              ? [`${subject} uses more than ${limits.maxAliases} aliases (GRAPHQL_MAX_ALIASES)`]
              : cost.fields > limits.maxComplexity
                ? [`${subject} selects more than ${limits.maxComplexity} fields, fragments expanded (GRAPHQL_MAX_COMPLEXITY)`]
                : [];
        const spread = new Set([operation, ...bodies].flatMap((body) => [...body.matchAll(/\.\.\.(F\d+)/g)].map((m) => m[1])));
        const expected = [
          ...verdict('Operation Q', expanded(`{ node ${operation} }`, 1)),
          ...bodies.flatMap((body, i) => (spread.has(`F${i}`) ? [] : verdict(`Fragment F${i}`, expanded(body, 1)))),
        ];
        expect(check(text, limits)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps graphql-js own rules (run alongside, as Apollo does) off refused documents, and on the others', () => {
    const apollo = (query: string) => validate(schema, parse(query), [...specifiedRules, graphqlLimitsRule(DEFAULTS)]).map((e) => e.message);
    // NoFragmentCycles, NoUnusedFragments, OverlappingFieldsCanBeMerged would all have something to say here.
    expect(apollo(`${diamond(26, true)} fragment Unused on Node { id: child { id } id }`)).toEqual([
      'Fragment F0 spreads itself: F0 → F1 → F2 → … (26 fragments) → F24 → F25 → F0 (fragment cycles are not allowed)',
    ]);
    expect(apollo(`{ node { ${'id '.repeat(1001)} } }`)).toEqual(['Operation selects more than 1000 fields, fragments expanded (GRAPHQL_MAX_COMPLEXITY)']);
    expect(apollo('{ node { bogus } }')).toEqual(['Cannot query field "bogus" on type "Node".']);
    expect(apollo('fragment F on Node { id } { node { id } }')).toEqual(['Fragment "F" is never used.']);
  });
});

describe('checkDocumentText', () => {
  const text = { maxDepth: 15, maxTokens: 50, maxDocumentBytes: 1000 };

  it('passes ordinary documents, and leaves syntax errors to the parser', () => {
    expect(checkDocumentText('query Q($a: String!) { node { id child { id } } }', text)).toBeNull();
    expect(checkDocumentText('{ node { id ', text)).toBeNull();
    expect(checkDocumentText('{ node(id: "unterminated) }', text)).toBeNull();
  });

  it('refuses long documents, counting UTF-8 bytes', () => {
    expect(checkDocumentText(`# ${'x'.repeat(1000)}\n{ id }`, text)).toBe('Document is longer than 1000 bytes (GRAPHQL_MAX_DOCUMENT_BYTES); send large inputs as variables');
    expect(checkDocumentText(`# ${'é'.repeat(500)}\n{ id }`, text)).toMatch(/^Document is longer than 1000 bytes/); // 509 characters, 1009 bytes
    expect(checkDocumentText(`# ${'e'.repeat(500)}\n{ id }`, text)).toBeNull();
  });

  it('refuses more tokens than the limit (comments and commas are not tokens)', () => {
    expect(checkDocumentText(`{ ${'id '.repeat(48)}}`, text)).toBeNull(); // 50
    expect(checkDocumentText(`{ ${'id '.repeat(49)}}`, text)).toBe('Document has more than 50 tokens (GRAPHQL_MAX_TOKENS)');
    expect(checkDocumentText(`{ ${'id, # note\n'.repeat(48)}}`, text)).toBeNull();
  });

  it('refuses brackets nested deeper than GRAPHQL_MAX_DEPTH allows, counting none inside strings', () => {
    expect(bracketNestingLimit(15)).toBe(62);
    expect(bracketNestingLimit(1000)).toBe(1000);
    const limits = { maxDepth: 15, maxTokens: 100_000, maxDocumentBytes: 100_000 };
    expect(checkDocumentText(`${'{a'.repeat(62)}${'}'.repeat(62)}`, limits)).toBeNull();
    expect(checkDocumentText(`${'{a'.repeat(63)}${'}'.repeat(63)}`, limits)).toBe('Document nests {, [ and ( deeper than 62 levels (allowed by GRAPHQL_MAX_DEPTH=15)');
    expect(checkDocumentText(`{ a(x: ${'['.repeat(70)}1${']'.repeat(70)}) }`, limits)).toMatch(/^Document nests/);
    expect(checkDocumentText(`{ a(x: "${'{['.repeat(500)}", y: """${'{'.repeat(500)}""") }`, limits)).toBeNull();
    expect(checkDocumentText(`{a${'{a}'.repeat(5000)}}`, limits)).toBeNull(); // wide, not deep
  });
});

describe('graphqlDocumentGuard', () => {
  const guard = graphqlDocumentGuard({ maxDepth: 15, maxTokens: 5, maxDocumentBytes: 1000 });
  const request = (method: string, params: unknown) => ({ method, ...(method === 'GET' ? { query: params } : { body: params }) }) as unknown as FastifyRequest;

  it('builds the context Nest would ({ req }) for documents within the limits, or without a query', () => {
    for (const req of [request('POST', { query: '{ a }' }), request('GET', { query: '{ a }' }), request('POST', { extensions: {} }), request('POST', [{ query: '{ a }' }]), request('POST', null)]) {
      expect(guard(req)).toEqual({ req });
    }
  });

  it('throws a 400 BAD_REQUEST GraphQL error (Apollo answers it as is) for POST bodies and GET queries', () => {
    for (const req of [request('POST', { query: '{ a b c d e }' }), request('GET', { query: '{ a b c d e }' })]) {
      let thrown: unknown;
      try {
        guard(req);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(GraphQLError);
      expect(thrown).toMatchObject({ message: 'Document has more than 5 tokens (GRAPHQL_MAX_TOKENS)', extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
    }
  });
});
