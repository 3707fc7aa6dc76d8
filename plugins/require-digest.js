// @ts-check
/**
 * require-digest — images must be pinned by digest (`name@sha256:…`), so every node runs the same
 * content. In `pin` mode the plugin pins them instead: it looks the tag up through the service's
 * guarded, cached digest lookup and rewrites the image to `name:tag@sha256:…`.
 *
 * Options:
 *   mode: deny                  # deny (default), warn, or pin
 *   exemptRegistries: [localhost:5000]   # host[:port][/path] entries the rule skips
 *   namespaces / excludeNamespaces / selector: where the rule applies (default everywhere)
 *
 * `pin` needs the registry: give the plugin a timeoutMs that covers a registry lookup (e.g. 5000) in the
 * plugins config. A failed lookup is a plugin failure: its failurePolicy decides (Fail denies, Ignore
 * lets the image through unpinned with a warning). A digest served from cache while the registry is
 * down still pins, with a warning.
 */
import { parsePatterns, patternListProblems, RegistryMatcher } from './_lib/registries.js';
import { compileScope, isOptionsObject, SCOPE_KEYS, scopeProblems, unknownKeyProblems } from './_lib/scope.js';

/**
 * @typedef {import('./_lib/scope.js').ScopeOptions & { mode?: 'deny' | 'warn' | 'pin', exemptRegistries?: string[] }} Options
 * @typedef {import('../packages/plugin-api/index.js').PluginContext<Options>} Context
 * @typedef {{ mode: 'deny' | 'warn' | 'pin', exempt: RegistryMatcher<import('./_lib/registries.js').RegistryPattern>, inScope: ReturnType<typeof compileScope> }} State
 */

/** @type {WeakMap<object, State>} */
const states = new WeakMap();

/** @param {Context} ctx */
function stateOf(ctx) {
  let state = states.get(ctx.options);
  if (state === undefined) {
    const options = ctx.options;
    state = { mode: options.mode ?? 'deny', exempt: new RegistryMatcher(parsePatterns(options.exemptRegistries ?? [])), inScope: compileScope(options) };
    states.set(options, state);
  }
  return state;
}

/** @type {import('../packages/plugin-api/index.js').Plugin<Options>} */
export default {
  name: 'require-digest',
  version: '1.0.0',
  apiVersion: '1.0',
  description: 'Requires images pinned by digest: denies or warns about tags, or pins them to digests through the lookup',

  validateOptions(options) {
    if (!isOptionsObject(options)) return 'options must be a mapping';
    const problems = [...unknownKeyProblems(options, ['mode', 'exemptRegistries', ...SCOPE_KEYS]), ...scopeProblems(options)];
    if (options.mode !== undefined && !['deny', 'warn', 'pin'].includes(/** @type {string} */ (options.mode))) problems.push('mode must be deny, warn or pin');
    if (options.exemptRegistries !== undefined) problems.push(...patternListProblems(options.exemptRegistries, 'exemptRegistries'));
    return problems;
  },

  setup(_options, ctx) {
    stateOf(ctx);
  },

  evaluate(input, ctx) {
    const { image } = input;
    if (image.digest !== null) return { verdict: 'allow' };
    const state = stateOf(ctx);
    if (!state.inScope(input.context) || state.exempt.match(image) !== null) return { verdict: 'allow' };
    if (state.mode !== 'pin') {
      return {
        verdict: state.mode,
        message: `image "${image.input}" is not pinned to a digest: use ${image.familiarName}@sha256:… (or ${image.familiarName}:${image.tag ?? 'latest'}@sha256:…)`,
      };
    }
    return pin(input.image, ctx);
  },
};

/**
 * @param {import('../packages/plugin-api/index.js').ParsedReference} image
 * @param {Context} ctx
 * @returns {Promise<import('../packages/plugin-api/index.js').PluginResult>}
 */
async function pin(image, ctx) {
  const answer = await ctx.resolveDigest(image.pullReference);
  const pinned = `${image.familiarName}:${image.tag ?? 'latest'}@${answer.digest}`;
  if (answer.stale === true) {
    return { verdict: 'warn', message: `pinned to ${answer.digest}, the last digest known: the registry did not answer`, mutate: { image: pinned } };
  }
  return { verdict: 'allow', message: `pinned to ${answer.digest}`, mutate: { image: pinned } };
}
