// @ts-check
/**
 * always-pull — sets `imagePullPolicy: Always` in the chosen namespaces, like Kubernetes' AlwaysPullImages
 * admission plugin: every container start then checks the registry with the pod's own credentials, so a
 * pod cannot use a private image that another pod's credentials pulled onto the node.
 *
 * Options:
 *   namespaces: [prod, payments]   # required scope: [] = nowhere (the default), ["*"] = every namespace
 *   excludeNamespaces: [kube-system]
 *   selector: { matchLabels: { … } }   # only objects with these labels (with namespaces: ["*"] for all namespaces)
 *
 * Images without a namespace in the request context are only covered by `namespaces: ["*"]`.
 */
import { compileScope, isOptionsObject, SCOPE_KEYS, scopeProblems, unknownKeyProblems } from './_lib/scope.js';

/**
 * @typedef {import('./_lib/scope.js').ScopeOptions} Options
 * @typedef {import('../packages/plugin-api/index.js').PluginContext<Options>} Context
 */

/** @type {WeakMap<object, ReturnType<typeof compileScope>>} */
const scopes = new WeakMap();

/** @param {Context} ctx */
function scopeOf(ctx) {
  let inScope = scopes.get(ctx.options);
  if (inScope === undefined) {
    inScope = compileScope(ctx.options, { defaultAllNamespaces: false });
    scopes.set(ctx.options, inScope);
  }
  return inScope;
}

/** @type {import('../packages/plugin-api/index.js').Plugin<Options>} */
export default {
  name: 'always-pull',
  version: '1.0.0',
  apiVersion: '1.0',
  description: 'Forces imagePullPolicy Always in the chosen namespaces, like the AlwaysPullImages admission plugin',

  validateOptions(options) {
    if (!isOptionsObject(options)) return 'options must be a mapping';
    return [...unknownKeyProblems(options, SCOPE_KEYS), ...scopeProblems(options)];
  },

  setup(_options, ctx) {
    scopeOf(ctx);
  },

  evaluate(input, ctx) {
    if (input.imagePullPolicy === 'Always' || !scopeOf(ctx)(input.context)) return { verdict: 'allow' };
    const where = typeof input.context.namespace === 'string' ? ` in namespace "${input.context.namespace}"` : '';
    return {
      verdict: 'allow',
      message: `imagePullPolicy set to Always (was ${input.imagePullPolicy})${where}`,
      mutate: { imagePullPolicy: 'Always' },
    };
  },
};
