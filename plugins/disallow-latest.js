// @ts-check
/**
 * disallow-latest — untagged images and the `:latest` tag are mutable: different nodes can run
 * different content, and `IfNotPresent` keeps stale copies. This plugin denies or warns about them.
 *
 * "latest" is exactly what Kubernetes treats as latest: no tag and no digest, or the tag `latest`
 * (case-sensitive: `:Latest` is an ordinary tag). An image pinned by digest (`nginx:latest@sha256:…`,
 * `nginx@sha256:…`) runs fixed content and passes unless `allowDigest: false`.
 *
 * Options:
 *   action: deny                # deny (default) or warn
 *   allowDigest: true           # a digest makes the image acceptable (default true)
 *   namespaces / excludeNamespaces / selector: where the rule applies (default everywhere)
 * or a list of rules, the first whose scope matches decides:
 *   rules:
 *     - { namespaces: [prod], action: deny }
 *     - { selector: { matchLabels: { tier: frontend } }, action: deny }
 *     - { action: warn }          # everything else
 */
import { compileScope, isOptionsObject, SCOPE_KEYS, scopeProblems, unknownKeyProblems } from './_lib/scope.js';

/**
 * @typedef {import('./_lib/scope.js').ScopeOptions & { action?: 'deny' | 'warn' }} Rule
 * @typedef {Rule & { allowDigest?: boolean, rules?: Rule[] }} Options
 * @typedef {import('../packages/plugin-api/index.js').PluginContext<Options>} Context
 * @typedef {{ allowDigest: boolean, rules: { inScope: ReturnType<typeof compileScope>, verdict: 'deny' | 'warn' }[] }} State
 */

/** @type {WeakMap<object, State>} */
const states = new WeakMap();

const RULE_KEYS = ['action', ...SCOPE_KEYS];

/** @param {Rule} rule */
const compileRule = (rule) => ({ inScope: compileScope(rule), verdict: rule.action ?? 'deny' });

/** @param {Context} ctx */
function stateOf(ctx) {
  let state = states.get(ctx.options);
  if (state === undefined) {
    const options = ctx.options;
    state = { allowDigest: options.allowDigest !== false, rules: (options.rules ?? [options]).map(compileRule) };
    states.set(options, state);
  }
  return state;
}

/**
 * @param {Record<string, unknown>} rule
 * @param {string} where
 */
function ruleProblems(rule, where) {
  const problems = scopeProblems(rule, where);
  if (rule.action !== undefined && rule.action !== 'deny' && rule.action !== 'warn') problems.push(`${where}action must be deny or warn`);
  return problems;
}

/** @type {import('../packages/plugin-api/index.js').Plugin<Options>} */
export default {
  name: 'disallow-latest',
  version: '1.0.0',
  apiVersion: '1.0',
  description: 'Denies or warns about untagged and :latest images, per namespace or label selector',

  validateOptions(options) {
    if (!isOptionsObject(options)) return 'options must be a mapping';
    if (options.allowDigest !== undefined && typeof options.allowDigest !== 'boolean') return 'allowDigest must be true or false';
    if (options.rules === undefined) return [...unknownKeyProblems(options, ['allowDigest', 'rules', ...RULE_KEYS]), ...ruleProblems(options, '')];
    const problems = unknownKeyProblems(options, ['allowDigest', 'rules']).map((text) => `${text}; with rules, put action and scope in each rule`);
    if (!Array.isArray(options.rules) || options.rules.length === 0) return [...problems, 'rules must be a non-empty list'];
    options.rules.forEach((rule, i) => {
      if (!isOptionsObject(rule)) problems.push(`rules[${i}] must be a mapping`);
      else problems.push(...unknownKeyProblems(rule, RULE_KEYS, `rules[${i}]: `), ...ruleProblems(rule, `rules[${i}].`));
    });
    return problems;
  },

  setup(_options, ctx) {
    stateOf(ctx);
  },

  evaluate(input, ctx) {
    const { image } = input;
    const untagged = image.tag === null;
    if (!untagged && image.tag !== 'latest') return { verdict: 'allow' };
    if (image.digest !== null) {
      const state = stateOf(ctx);
      if (state.allowDigest) return { verdict: 'allow' };
      if (untagged) return { verdict: 'allow' }; // digest only: no tag at all
    }
    const rules = stateOf(ctx).rules;
    for (let i = 0; i < rules.length; i++) {
      if (!rules[i].inScope(input.context)) continue;
      const message = untagged
        ? `image "${image.input}" has no tag, so it runs the mutable "latest": pin a version tag or a digest`
        : `image "${image.input}" uses the mutable tag "latest": pin a version tag or a digest`;
      return { verdict: rules[i].verdict, message };
    }
    return { verdict: 'allow' };
  },
};
