// @ts-check
/**
 * allowed-registries — images must come from the listed registries (and path prefixes).
 *
 * Compares the parsed registry host (with port) exactly and the repository path by whole segments:
 * `registry.io` does not allow `registry.io.evil.com/x`, `registry.io:5000/x` or `evil.com/registry.io/x`,
 * and `ghcr.io/my-org` does not allow `ghcr.io/my-org-x/app`. Docker Hub images are `docker.io/...`
 * (`docker.io/library` allows only the official images).
 *
 * Options:
 *   registries: [docker.io/library, ghcr.io/my-org, registry.example.com:5000]   # required
 *   action: deny               # deny (default) or warn
 *   namespaces / excludeNamespaces / selector: where the rule applies (default: everywhere; see _lib/scope.js)
 */
import { parsePatterns, patternListProblems, RegistryMatcher } from './_lib/registries.js';
import { compileScope, isOptionsObject, SCOPE_KEYS, scopeProblems, unknownKeyProblems } from './_lib/scope.js';

/**
 * @typedef {import('./_lib/scope.js').ScopeOptions & { registries: string[], action?: 'deny' | 'warn' }} Options
 * @typedef {import('../packages/plugin-api/index.js').PluginContext<Options>} Context
 * @typedef {{ matcher: RegistryMatcher<import('./_lib/registries.js').RegistryPattern>, inScope: ReturnType<typeof compileScope>, verdict: 'deny' | 'warn', listed: string }} State
 */

/** Compiled options per loaded instance (a module may be loaded by more than one host in tests). */
/** @type {WeakMap<object, State>} */
const states = new WeakMap();

/** @param {Options} options */
function compile(options) {
  const patterns = parsePatterns(options.registries);
  const names = patterns.map((p) => p.text);
  return {
    matcher: new RegistryMatcher(patterns),
    inScope: compileScope(options),
    verdict: options.action ?? 'deny',
    listed: names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', '),
  };
}

/** @param {Context} ctx */
function stateOf(ctx) {
  let state = states.get(ctx.options);
  if (state === undefined) {
    state = compile(ctx.options);
    states.set(ctx.options, state);
  }
  return state;
}

/** @type {import('../packages/plugin-api/index.js').Plugin<Options>} */
export default {
  name: 'allowed-registries',
  version: '1.0.0',
  apiVersion: '1.0',
  description: 'Allows images only from the listed registries and path prefixes (exact host, whole path segments)',

  validateOptions(options) {
    if (!isOptionsObject(options)) return 'options must be a mapping';
    const problems = [...unknownKeyProblems(options, ['registries', 'action', ...SCOPE_KEYS]), ...scopeProblems(options)];
    if (options.registries === undefined) problems.push('registries is required: a list of host[:port][/path] entries');
    else problems.push(...patternListProblems(options.registries, 'registries'));
    if (options.action !== undefined && options.action !== 'deny' && options.action !== 'warn') problems.push('action must be deny or warn');
    return problems;
  },

  setup(_options, ctx) {
    stateOf(ctx);
  },

  evaluate(input, ctx) {
    const state = stateOf(ctx);
    if (!state.inScope(input.context)) return { verdict: 'allow' };
    const { image } = input;
    if (state.matcher.match(image) !== null) return { verdict: 'allow' };
    return {
      verdict: state.verdict,
      message: `image "${image.input}" comes from ${image.domain}/${image.path}, which is not under an allowed registry (${state.listed})`,
    };
  },
};
