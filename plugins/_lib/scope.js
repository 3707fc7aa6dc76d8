// @ts-check
/**
 * Where a bundled plugin applies: namespaces, excluded namespaces and a Kubernetes label selector,
 * checked against the request context (`context.namespace`, `context.labels`). Shared by the bundled
 * plugins (the loader skips `_`-prefixed files and folders, so this is not a plugin itself).
 *
 * Options (all optional):
 *   namespaces: [prod, staging]     only these namespaces ("*" = every namespace)
 *   excludeNamespaces: [kube-system] never these
 *   selector:                       only objects whose labels match (Kubernetes LabelSelector)
 *     matchLabels: { tier: frontend }
 *     matchExpressions: [{ key: env, operator: In, values: [prod] }]   # In, NotIn, Exists, DoesNotExist
 */

/**
 * @typedef {{ key: string, operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', values?: string[] }} LabelSelectorRequirement
 * @typedef {{ matchLabels?: Record<string, string>, matchExpressions?: LabelSelectorRequirement[] }} LabelSelector
 * @typedef {{ namespaces?: string[], excludeNamespaces?: string[], selector?: LabelSelector }} ScopeOptions
 * @typedef {import('../../packages/plugin-api/index.js').PluginRequestContext} PluginRequestContext
 */

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** @param {unknown} value */
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** @param {unknown} value */
const isStringList = (value) => Array.isArray(value) && value.every((item) => typeof item === 'string' && item !== '');

/**
 * Problems with the scope options, prefixed with `where` (e.g. `rules[0].`).
 * @param {Record<string, unknown>} options
 * @param {string} [where]
 * @returns {string[]}
 */
export function scopeProblems(options, where = '') {
  /** @type {string[]} */
  const problems = [];
  for (const key of ['namespaces', 'excludeNamespaces']) {
    if (options[key] !== undefined && !isStringList(options[key])) problems.push(`${where}${key} must be a list of namespace names`);
  }
  const selector = options.selector;
  if (selector === undefined) return problems;
  if (!isObject(selector)) return [...problems, `${where}selector must be a mapping with matchLabels and/or matchExpressions`];
  const { matchLabels, matchExpressions, ...rest } = /** @type {Record<string, unknown>} */ (selector);
  for (const key of Object.keys(rest)) problems.push(`${where}selector has an unknown key "${key}" (expected matchLabels, matchExpressions)`);
  if (matchLabels !== undefined && !(isObject(matchLabels) && Object.values(/** @type {object} */ (matchLabels)).every((v) => typeof v === 'string'))) {
    problems.push(`${where}selector.matchLabels must map label names to string values`);
  }
  if (matchExpressions !== undefined) {
    if (!Array.isArray(matchExpressions)) {
      problems.push(`${where}selector.matchExpressions must be a list`);
    } else {
      matchExpressions.forEach((expression, i) => {
        const at = `${where}selector.matchExpressions[${i}]`;
        if (!isObject(expression) || typeof expression.key !== 'string' || !OPERATORS.includes(expression.operator)) {
          problems.push(`${at} needs a key and an operator (${OPERATORS.join(', ')})`);
          return;
        }
        const needsValues = expression.operator === 'In' || expression.operator === 'NotIn';
        if (needsValues && !(isStringList(expression.values) && expression.values.length > 0)) problems.push(`${at}: ${expression.operator} needs a non-empty list of values`);
        if (!needsValues && expression.values !== undefined && !(Array.isArray(expression.values) && expression.values.length === 0)) {
          problems.push(`${at}: ${expression.operator} takes no values`);
        }
      });
    }
  }
  return problems;
}

/**
 * A predicate: does a request context fall in the scope?
 * @param {ScopeOptions} options
 * @param {{ defaultAllNamespaces?: boolean }} [settings] without `namespaces`: every namespace (default) or none
 * @returns {(context: PluginRequestContext) => boolean}
 */
export function compileScope(options, settings = {}) {
  const listed = options.namespaces;
  const all = listed === undefined ? settings.defaultAllNamespaces !== false : listed.includes('*');
  const namespaces = new Set(listed ?? []);
  const excluded = new Set(options.excludeNamespaces ?? []);
  const selector = options.selector;
  const matchLabels = Object.entries(selector?.matchLabels ?? {});
  const matchExpressions = selector?.matchExpressions ?? [];
  const checksLabels = matchLabels.length > 0 || matchExpressions.length > 0;

  return (context) => {
    const namespace = typeof context.namespace === 'string' ? context.namespace : undefined;
    if (namespace !== undefined && excluded.has(namespace)) return false;
    if (!all && (namespace === undefined || !namespaces.has(namespace))) return false;
    if (!checksLabels) return true;
    const labels = isObject(context.labels) ? /** @type {Record<string, unknown>} */ (context.labels) : {};
    for (const [key, value] of matchLabels) if (labels[key] !== value) return false;
    for (const { key, operator, values = [] } of matchExpressions) {
      const has = Object.prototype.hasOwnProperty.call(labels, key);
      const value = labels[key];
      if (operator === 'Exists' && !has) return false;
      if (operator === 'DoesNotExist' && has) return false;
      if (operator === 'In' && !(has && values.includes(/** @type {string} */ (value)))) return false;
      if (operator === 'NotIn' && has && values.includes(/** @type {string} */ (value))) return false;
    }
    return true;
  };
}

/** Keys of the scope options (for plugins that reject unknown keys). */
export const SCOPE_KEYS = ['namespaces', 'excludeNamespaces', 'selector'];

/**
 * Problems for keys that are not in `known`.
 * @param {Record<string, unknown>} options
 * @param {readonly string[]} known
 * @param {string} [where]
 */
export function unknownKeyProblems(options, known, where = '') {
  return Object.keys(options)
    .filter((key) => !known.includes(key))
    .map((key) => `${where}unknown option "${key}" (expected ${known.join(', ')})`);
}

/**
 * Problems when the options are not a mapping.
 * @param {unknown} options
 * @returns {options is Record<string, unknown>}
 */
export function isOptionsObject(options) {
  return isObject(options);
}
