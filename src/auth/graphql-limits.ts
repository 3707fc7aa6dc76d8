/**
 * One GraphQL validation rule that bounds what a single operation may ask for: nesting depth, the number of
 * aliases (each alias of `digest` is another registry lookup), and complexity (the number of fields with
 * fragments expanded). Counting stops as soon as a limit is passed, so hostile documents (fragments that
 * expand exponentially) cost no more than the limit itself. Violations are GraphQL validation errors
 * (the service's `InvalidRequest`), reported before anything runs.
 */
import { type ASTVisitor, GraphQLError, Kind, type SelectionSetNode, type ValidationContext } from 'graphql';

export interface GraphqlLimits {
  maxDepth: number;
  maxAliases: number;
  maxComplexity: number;
}

class LimitExceeded extends Error {}

export function graphqlLimitsRule(limits: GraphqlLimits): (context: ValidationContext) => ASTVisitor {
  return (context) => ({
    OperationDefinition(operation) {
      let fields = 0;
      let aliases = 0;
      let deepest = 0;
      const walk = (set: SelectionSetNode, depth: number, fragments: ReadonlySet<string>): void => {
        for (const selection of set.selections) {
          if (selection.kind === Kind.FIELD) {
            fields++;
            if (selection.alias !== undefined) aliases++;
            if (depth > deepest) deepest = depth;
            if (fields > limits.maxComplexity || aliases > limits.maxAliases || deepest > limits.maxDepth) throw new LimitExceeded();
            if (selection.selectionSet !== undefined) walk(selection.selectionSet, depth + 1, fragments);
          } else if (selection.kind === Kind.INLINE_FRAGMENT) {
            walk(selection.selectionSet, depth, fragments);
          } else {
            const name = selection.name.value;
            if (fragments.has(name)) continue; // a cycle: NoFragmentCyclesRule reports it
            const fragment = context.getFragment(name);
            if (fragment !== undefined && fragment !== null) walk(fragment.selectionSet, depth, new Set([...fragments, name]));
          }
        }
      };
      try {
        walk(operation.selectionSet, 1, new Set());
      } catch (error) {
        if (!(error instanceof LimitExceeded)) throw error;
        const name = operation.name ? ` ${operation.name.value}` : '';
        const problem =
          deepest > limits.maxDepth
            ? `nests fields deeper than ${limits.maxDepth} levels (GRAPHQL_MAX_DEPTH)`
            : aliases > limits.maxAliases
              ? `uses more than ${limits.maxAliases} aliases (GRAPHQL_MAX_ALIASES)`
              : `selects more than ${limits.maxComplexity} fields, fragments expanded (GRAPHQL_MAX_COMPLEXITY)`;
        context.reportError(new GraphQLError(`Operation${name} ${problem}`, { nodes: [operation] }));
      }
    },
  });
}
