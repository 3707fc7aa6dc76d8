/**
 * Which scope each route and GraphQL field needs. Controllers this module owns say it with
 * `@RequireScopes(...)`; the routes of the other modules are listed here, in one table, so a reviewer sees
 * every rule at once. A route or field with no rule is refused (403) while authentication is on, and a test
 * walks every registered route to make sure none is missing.
 */
import { SetMetadata } from '@nestjs/common';
import type { Scope } from './api-keys.js';

export const SCOPES_METADATA = 'image-policy:scopes';

/** The scopes a request needs, given its (already validated) body or GraphQL arguments. */
export type ScopeRule = readonly Scope[] | ((input: unknown) => readonly Scope[]);

/** On a controller or handler: the scopes a key needs to call it (all of them). */
export const RequireScopes = (...scopes: Scope[]) => SetMetadata(SCOPES_METADATA, scopes);

const READ: readonly Scope[] = ['read'];
const RESOLVE: readonly Scope[] = ['resolve'];
const READ_RESOLVE: readonly Scope[] = ['read', 'resolve'];

function object(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** A decision contacts the registry unless the caller simulates the registry's answer (`registry`). */
const simulates = (input: unknown): boolean => {
  const registry = object(input)?.registry;
  return registry !== undefined && registry !== null;
};
/** A rule that reads the input, with the words that say it (in the OpenAPI description of its route). */
function described<Rule extends (input: unknown) => readonly Scope[]>(rule: Rule, text: string): Rule & { text: string } {
  return Object.assign(rule, { text });
}
const decision = described((input) => (simulates(input) ? READ : READ_RESOLVE), '`read`, and `resolve` unless `registry` simulates the registry');
const decisionList = (field: string) =>
  described((input) => {
    const items = object(input)?.[field];
    return Array.isArray(items) && items.length > 0 && items.every(simulates) ? READ : READ_RESOLVE;
  }, `\`read\`, and \`resolve\` unless every item of \`${field}\` simulates the registry (\`registry\`)`);

/** REST routes of other modules, by `METHOD /route/pattern` (Fastify's pattern, as in the access log). */
export const ROUTE_SCOPES: Readonly<Record<string, ScopeRule>> = {
  'GET /v1/references/parse': READ,
  'POST /v1/references/parse': READ,
  'POST /v1/pull-policy/default': READ,
  'POST /v1/manifests/default': READ,
  'POST /v1/pull-decisions': decision,
  'POST /v1/pull-decisions/batch': decisionList('decisions'),
  'POST /v1/pull-decisions/manifests': decision,
  'GET /v1/digests': RESOLVE,
  'POST /v1/digests': RESOLVE,
  'GET /v1/plugins': READ,
  'GET /v1/version': READ,
  // Operations (when not listed in AUTH_OPEN_PATHS) and the API description.
  'GET /healthz': READ,
  'GET /readyz': READ,
  'GET /metrics': READ,
  'GET /openapi.json': READ,
  'GET /docs': READ,
  'GET /docs/*': READ,
};

/** GraphQL fields by `Type.field` (GraphQL arguments are the rule's input). */
export const GRAPHQL_SCOPES: Readonly<Record<string, ScopeRule>> = {
  'Query.parseReference': READ,
  'Query.parseReferences': READ,
  'Query.defaultPullPolicy': READ,
  'Query.defaultManifests': READ,
  'Query.pullDecision': (args) => decision(object(args)?.input),
  'Query.pullDecisions': decisionList('inputs'),
  'Query.manifestPullDecisions': decision,
  'Query.digest': RESOLVE,
  'Query.digests': RESOLVE,
  'Query.plugins': READ,
};

/** The scopes of a rule in words: `` `read` ``, `` `read` and `resolve` ``, or what a rule that reads the input says. */
export function scopeRuleText(rule: ScopeRule): string {
  if (typeof rule !== 'function') return rule.map((scope) => `\`${scope}\``).join(' and ');
  return (rule as { text?: string }).text ?? 'depending on the request';
}

export function scopesOf(rule: ScopeRule | undefined, input: unknown): readonly Scope[] | null {
  if (rule === undefined) return null;
  return typeof rule === 'function' ? rule(input) : rule;
}
