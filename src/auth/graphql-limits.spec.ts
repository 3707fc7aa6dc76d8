import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { graphqlLimitsRule } from './graphql-limits.js';

const schema = buildSchema('type Node { id: ID, child: Node } type Query { node: Node }');
const check = (query: string, limits = { maxDepth: 4, maxAliases: 2, maxComplexity: 20 }) => validate(schema, parse(query), [graphqlLimitsRule(limits)]).map((e) => e.message);

describe('graphqlLimitsRule', () => {
  it('passes operations within the limits', () => {
    expect(check('{ node { id child { id child { id } } } }')).toEqual([]);
  });

  it('counts depth through fragments and inline fragments', () => {
    expect(check('fragment F on Node { child { child { id } } } query Q { node { ... on Node { child { ...F } } } }')).toEqual(['Operation Q nests fields deeper than 4 levels (GRAPHQL_MAX_DEPTH)']);
  });

  it('stops counting exponential fragment expansion at the limit', () => {
    const levels = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Node { ...F${i + 1} ...F${i + 1} }`).join(' ');
    const started = performance.now();
    expect(check(`${levels} fragment F30 on Node { id } { node { ...F0 } }`, { maxDepth: 100, maxAliases: 100, maxComplexity: 1000 })).toEqual([
      'Operation selects more than 1000 fields, fragments expanded (GRAPHQL_MAX_COMPLEXITY)',
    ]);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('counts aliases and ignores fragment cycles (another rule reports them)', () => {
    expect(check('{ a: node { id } b: node { id } c: node { id } }')).toEqual(['Operation uses more than 2 aliases (GRAPHQL_MAX_ALIASES)']);
    expect(validate(schema, parse('fragment A on Node { ...B } fragment B on Node { ...A } { node { ...A } }'), [graphqlLimitsRule({ maxDepth: 4, maxAliases: 2, maxComplexity: 20 })])).toEqual([]);
  });
});
